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
