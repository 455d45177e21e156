"""Calls: the log of who called whom, when, for how long and how it ended.

The media never passes through the server, and neither does anything of the signalling worth
keeping: offers, answers and ICE candidates are relayed by the consumer and never stored or
logged. What is stored is one `Call` row per call and one `CallAttendee` row per person in it.

A call rings for `RING_SECONDS`, then ends as "not answered". It is answered as soon as a second
person joins; it ends when fewer than two people remain in it. At most one call is live in a
conversation (a database constraint): a second invite while one rings or runs is refused, and
the page offers to join the live one instead.
"""

import base64
import hashlib
import hmac
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from counselling import presence
from counselling.models import Call, CallAttendee, Conversation, Participant
from counselling.selectors.calls import appointment_for_session

RING_SECONDS = 45


def _participant(conversation_id: int, user: User) -> Participant:
    participant = Participant.objects.filter(
        conversation_id=conversation_id, user=user, removed_at__isnull=True, user__is_active=True
    ).first()
    if participant is None:
        raise ValidationError(_("You are not part of this conversation."), code="not_participant")
    return participant


def _end(call: Call, *, reason: str, by: User | None, at: datetime) -> Call:
    call.ended_at = at
    call.end_reason = reason
    call.ended_by = by
    call.save(update_fields=["ended_at", "end_reason", "ended_by"])
    CallAttendee.objects.filter(call=call, left_at__isnull=True).update(left_at=at)
    return call


def _expire_ringing(conversation_id: int, now: datetime) -> None:
    Call.objects.filter(
        conversation_id=conversation_id, ended_at__isnull=True, answered_at__isnull=True, ring_until__lt=now
    ).update(ended_at=now, end_reason=Call.EndReason.NO_ANSWER)


@transaction.atomic
def call_invite(
    *,
    conversation: Conversation,
    caller: User,
    ref: uuid.UUID,
    media: str,
    appointment_id: int | None = None,
) -> tuple[Call, bool]:
    """Start ringing the other participants. The caller's `ref` makes a repeated invite (after
    a reconnect) the same call; returns the call and whether it is new."""
    if media not in Call.Media.values:
        raise ValidationError(_("Choose an audio or a video call."), code="bad_media")
    _participant(conversation.pk, caller)
    now = timezone.now()
    existing = Call.objects.filter(ref=ref).first()
    if existing is not None:
        if existing.conversation_id != conversation.pk or existing.started_by_id != caller.pk:
            raise ValidationError(_("This call could not be started."), code="bad_ref")
        return existing, False
    _expire_ringing(conversation.pk, now)
    if appointment_id is not None and not conversation.appointments.filter(pk=appointment_id).exists():
        appointment_id = None
    try:
        with transaction.atomic():
            call = Call.objects.create(
                ref=ref,
                conversation=conversation,
                appointment_id=appointment_id,
                started_by=caller,
                media=media,
                invited_at=now,
                ring_until=now + timedelta(seconds=RING_SECONDS),
            )
    except IntegrityError:
        raise ValidationError(
            _("A call is already under way in this conversation. Join it instead."), code="call_busy"
        ) from None
    CallAttendee.objects.create(call=call, user=caller, joined_at=now)
    return call, True


def _live_call(conversation_id: int, ref: uuid.UUID) -> Call:
    call = Call.objects.select_for_update().filter(conversation_id=conversation_id, ref=ref).first()
    if call is None:
        raise ValidationError(_("This call is not known."), code="unknown_call")
    return call


def call_accept(*, conversation: Conversation, user: User, ref: uuid.UUID) -> Call:
    """Join the call: answering a ringing call, or joining one already running (a third person,
    or someone coming back after a dropped connection)."""
    _participant(conversation.pk, user)
    # A call that rang out is logged as such even though this answer is refused.
    _expire_ringing(conversation.pk, timezone.now())
    call = _join(conversation, user, ref)
    if call.appointment_id is not None:
        presence.waiting_clear(appointment_id=call.appointment_id)  # let in: no longer waiting
    return call


@transaction.atomic
def _join(conversation: Conversation, user: User, ref: uuid.UUID) -> Call:
    call = _live_call(conversation.pk, ref)
    now = timezone.now()
    if call.ended_at is not None:
        raise ValidationError(_("This call has ended."), code="call_ended")
    attendee, created = CallAttendee.objects.get_or_create(call=call, user=user, defaults={"joined_at": now})
    if not created and attendee.left_at is not None:
        attendee.left_at = None
        attendee.save(update_fields=["left_at"])
    if call.answered_at is None and call.attendees.filter(left_at__isnull=True).count() >= 2:
        call.answered_at = now
        call.save(update_fields=["answered_at"])
    return call


@transaction.atomic
def call_reject(*, conversation: Conversation, user: User, ref: uuid.UUID) -> Call:
    """Decline a ringing call. The client or the counsellor declining ends it; an interpreter
    declining only stops their own ringing (the other two may still talk)."""
    participant = _participant(conversation.pk, user)
    call = _live_call(conversation.pk, ref)
    if call.ended_at is not None or call.answered_at is not None:
        return call
    if participant.role != Participant.Role.INTERPRETER and call.started_by_id != user.pk:
        _end(call, reason=Call.EndReason.REJECTED, by=user, at=timezone.now())
    return call


LEAVE_REASONS = {
    "hangup": Call.EndReason.HANGUP,
    "failed": Call.EndReason.FAILED,
    "lost": Call.EndReason.LOST,
    "no_answer": Call.EndReason.NO_ANSWER,
}


@transaction.atomic
def call_leave(*, conversation: Conversation, user: User, ref: uuid.UUID, reason: str) -> Call:
    """Leave the call. A caller leaving before anyone answered cancels it; the call ends when
    fewer than two people remain in it, with the reason of whoever left last."""
    end_reason = LEAVE_REASONS.get(reason)
    if end_reason is None:
        raise ValidationError(_("This message could not be read."), code="bad_reason")
    call = _live_call(conversation.pk, ref)
    if call.ended_at is not None:
        return call
    now = timezone.now()
    CallAttendee.objects.filter(call=call, user=user, left_at__isnull=True).update(left_at=now)
    if call.answered_at is None:
        if call.started_by_id == user.pk:
            if end_reason == Call.EndReason.HANGUP:
                end_reason = Call.EndReason.CANCELLED
            return _end(call, reason=end_reason, by=user, at=now)
        return call
    if call.attendees.filter(left_at__isnull=True).count() < 2:
        return _end(call, reason=end_reason, by=user, at=now)
    return call


@transaction.atomic
def calls_expire(*, now: datetime | None = None, present_user_ids: "set[int] | None" = None) -> int:
    """End calls that rang out, and answered calls where nobody is connected any more (their
    sockets closed without a goodbye: a phone that lost its network). `present_user_ids` are
    the people with a live socket; None skips the second check. Returns how many ended."""
    now = now or timezone.now()
    ended = Call.objects.filter(ended_at__isnull=True, answered_at__isnull=True, ring_until__lt=now).update(
        ended_at=now, end_reason=Call.EndReason.NO_ANSWER
    )
    if present_user_ids is None:
        return ended
    stale_before = now - timedelta(minutes=2)
    for call in Call.objects.select_for_update().filter(ended_at__isnull=True, answered_at__lt=stale_before):
        here = CallAttendee.objects.filter(
            call=call, left_at__isnull=True, user_id__in=present_user_ids
        ).count()
        if here < 2:
            _end(call, reason=Call.EndReason.LOST, by=None, at=now)
            ended += 1
    return ended


def calls_expire_now() -> int:
    """`calls_expire` with who is connected now, from the presence keys of the attendees."""
    attendee_ids = list(
        CallAttendee.objects.filter(call__ended_at__isnull=True, left_at__isnull=True).values_list(
            "user_id", flat=True
        )
    )
    return calls_expire(present_user_ids=set(presence.online_among(user_ids=attendee_ids)))


def waiting_room_enter(*, user: User, conversation_id: int, appointment_id: int) -> bool:
    """The client of a joinable appointment of this conversation is waiting to be let in (for
    the next `presence.TTL_SECONDS`; their open page repeats this). False for anyone else."""
    appointment = appointment_for_session(user=user, appointment_id=appointment_id)
    if (
        appointment is None
        or appointment.client_id != user.pk
        or appointment.conversation_id != conversation_id
    ):
        return False
    presence.waiting_touch(appointment_id=appointment_id)
    return True


# --- ICE servers ----------------------------------------------------------------------------


@dataclass(frozen=True)
class IceConfig:
    servers: list[dict[str, object]]
    transport_policy: str  # "all", or "relay" to hide both people's addresses behind TURN


def turn_credentials(*, user_id: int, secret: str, ttl_seconds: int, now: datetime) -> tuple[str, str]:
    """Time-limited TURN credentials of coturn's `use-auth-secret` scheme: the user name is the
    expiry (Unix time) and an id; the password is base64(HMAC-SHA1(secret, user name))."""
    expiry = int(now.timestamp()) + ttl_seconds
    username = f"{expiry}:{user_id}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode()


def ice_config_for(*, user: User, now: datetime | None = None) -> IceConfig:
    """The ICE servers for one person's part in one call: STUN as configured, and TURN with
    credentials minted now (valid `TURN_CREDENTIAL_TTL` seconds, a few hours by default)."""
    servers: list[dict[str, object]] = []
    if settings.STUN_URLS:
        servers.append({"urls": list(settings.STUN_URLS)})
    if settings.TURN_URLS and settings.TURN_SECRET:
        username, credential = turn_credentials(
            user_id=user.pk,
            secret=settings.TURN_SECRET,
            ttl_seconds=settings.TURN_CREDENTIAL_TTL,
            now=now or timezone.now(),
        )
        servers.append({"urls": list(settings.TURN_URLS), "username": username, "credential": credential})
    return IceConfig(servers=servers, transport_policy=settings.ICE_TRANSPORT_POLICY)
