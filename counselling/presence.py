"""Who has a conversation open right now. Each open socket touches the person's key every
`HEARTBEAT_SECONDS`; the key expires by itself, so a phone that loses its connection (when no
disconnect arrives: django/channels#1466) shows offline within `TTL_SECONDS`."""

from django.core.cache import cache

HEARTBEAT_SECONDS = 25
TTL_SECONDS = 60


def _key(user_id: int) -> str:
    return f"counselling:presence:{user_id}"


def presence_touch(*, user_id: int) -> None:
    cache.set(_key(user_id), 1, TTL_SECONDS)


def online_among(*, user_ids: list[int]) -> list[int]:
    """The ids of `user_ids` who are online now."""
    found = cache.get_many([_key(user_id) for user_id in user_ids])
    return [user_id for user_id in user_ids if _key(user_id) in found]


# --- Waiting room ---------------------------------------------------------------------------
# A client who opened "Join" for an appointment waits until their counsellor lets them in. The
# waiting page touches the key while it is open; a closed page stops waiting within the TTL.


def _waiting_key(appointment_id: int) -> str:
    return f"counselling:waiting:{appointment_id}"


def waiting_touch(*, appointment_id: int) -> None:
    cache.set(_waiting_key(appointment_id), 1, TTL_SECONDS)


def waiting_clear(*, appointment_id: int) -> None:
    cache.delete(_waiting_key(appointment_id))


def waiting_among(*, appointment_ids: list[int]) -> list[int]:
    """The ids of `appointment_ids` whose client is in the waiting room now."""
    found = cache.get_many([_waiting_key(pk) for pk in appointment_ids])
    return [pk for pk in appointment_ids if _waiting_key(pk) in found]
