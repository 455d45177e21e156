import uuid

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role, User
from config.celery import enqueue_on_commit
from counselling.models import Conversation, Message, Participant, ReassignedAppointment, Reassignment
from counselling.selectors import last_message_id

REASON_MAX_LENGTH = 500


def conversation_get_or_create(*, client: User, counsellor: User) -> Conversation:
    """The one conversation of this pair with its two participants, created on first contact
    (safe under concurrency)."""
    existing = Conversation.objects.filter(client=client, counsellor=counsellor).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            conversation = Conversation.objects.create(client=client, counsellor=counsellor)
            Participant.objects.bulk_create(
                [
                    Participant(conversation=conversation, user=client, role=Participant.Role.CLIENT),
                    Participant(conversation=conversation, user=counsellor, role=Participant.Role.COUNSELLOR),
                ]
            )
            return conversation
    except IntegrityError:
        return Conversation.objects.get(client=client, counsellor=counsellor)


# --- Messages -------------------------------------------------------------------------------

# Long enough for a careful question with its details; a limit that a typed message reaches only
# by accident (a pasted document), which then gets a clear error instead of filling the database.
MESSAGE_MAX_CHARS = 4000


def _active_participant(conversation: Conversation, user: User) -> Participant:
    participant = Participant.objects.filter(
        conversation=conversation, user=user, removed_at__isnull=True, user__is_active=True
    ).first()
    if participant is None:
        raise ValidationError(_("You are not part of this conversation."), code="not_participant")
    return participant


def message_send(
    *, conversation: Conversation, sender: User, body: str, client_id: uuid.UUID
) -> tuple[Message, bool]:
    """Store a message (then it may be acknowledged and shown to the others). Sending the same
    `client_id` again returns the stored message and `False`: a resend never duplicates."""
    participant = _active_participant(conversation, sender)
    earlier = Message.objects.filter(conversation=conversation, sender=sender, client_id=client_id).first()
    if earlier is not None:
        return earlier, False
    text = body.strip()
    if not text:
        raise ValidationError({"body": ValidationError(_("Write a message first."), code="empty")})
    if len(text) > MESSAGE_MAX_CHARS:
        too_long = _("A message can have at most %(max)d characters; this one has %(count)d.") % {
            "max": MESSAGE_MAX_CHARS,
            "count": len(text),
        }
        raise ValidationError({"body": ValidationError(too_long, code="too_long")})
    try:
        with transaction.atomic():
            message = Message.objects.create(
                conversation=conversation, sender=sender, client_id=client_id, body=text
            )
            # The sender has read their own message.
            Participant.objects.filter(pk=participant.pk, last_read_id__lt=message.pk).update(
                last_read_id=message.pk, last_delivered_id=message.pk
            )
    except IntegrityError:
        # The same message arrived twice at once (two tabs, a retry racing the first try).
        return Message.objects.get(conversation=conversation, sender=sender, client_id=client_id), False
    return message, True


def conversation_mark_read(*, conversation: Conversation, user: User, up_to_id: int) -> int:
    """Record that `user` has read the conversation up to message `up_to_id` (never backwards,
    never past the last message). Returns the read position now stored."""
    participant = _active_participant(conversation, user)
    up_to = min(up_to_id, last_message_id(conversation_id=conversation.pk))
    Participant.objects.filter(pk=participant.pk, last_read_id__lt=up_to).update(last_read_id=up_to)
    Participant.objects.filter(pk=participant.pk, last_delivered_id__lt=up_to).update(last_delivered_id=up_to)
    participant.refresh_from_db(fields=["last_read_id"])
    return participant.last_read_id


def conversation_mark_delivered(*, conversation: Conversation, user: User, up_to_id: int) -> int:
    """Record that `user`'s device has received the conversation up to `up_to_id` (forward only)."""
    participant = _active_participant(conversation, user)
    up_to = min(up_to_id, last_message_id(conversation_id=conversation.pk))
    Participant.objects.filter(pk=participant.pk, last_delivered_id__lt=up_to).update(last_delivered_id=up_to)
    participant.refresh_from_db(fields=["last_delivered_id"])
    return participant.last_delivered_id


def _check_reassignment(
    *, by: User, client: User, from_counsellor: User, to_counsellor: User, reason: str
) -> None:
    """Every refusal, with the argument it is about (forms show it next to that field)."""
    if not by.has_role(Role.COORDINATOR):
        raise ValidationError(_("Only coordinators can give a client another counsellor."))
    organisation_id = by.organisation_id
    if organisation_id is None:
        raise ValidationError(
            _("Your account is not linked to an organisation. Please ask an administrator to add you to one.")
        )
    if from_counsellor.organisation_id != organisation_id or not from_counsellor.has_role(Role.COUNSELLOR):
        raise ValidationError(
            {
                "from_counsellor": _("%(name)s is not a counsellor of your organisation.")
                % {"name": from_counsellor.display_name}
            }
        )
    if to_counsellor.organisation_id != organisation_id or not to_counsellor.has_role(Role.COUNSELLOR):
        raise ValidationError(
            {
                "to_counsellor": _("%(name)s is not a counsellor of your organisation.")
                % {"name": to_counsellor.display_name}
            }
        )
    if to_counsellor.pk == from_counsellor.pk:
        raise ValidationError(
            {"to_counsellor": _("The client already has this counsellor. Choose another one.")}
        )
    if not to_counsellor.is_active:
        raise ValidationError(
            {
                "to_counsellor": _("%(name)s no longer works on Passage. Choose another counsellor.")
                % {"name": to_counsellor.display_name}
            }
        )
    if to_counsellor.pk == client.pk:
        raise ValidationError({"to_counsellor": _("Nobody can be their own counsellor.")})
    if not Conversation.objects.filter(client=client, counsellor=from_counsellor).exists():
        raise ValidationError(
            {
                "from_counsellor": _("%(client)s is not a client of %(name)s.")
                % {"client": client.display_name, "name": from_counsellor.display_name}
            }
        )
    if not reason:
        raise ValidationError({"reason": _("Write why the client changes counsellor.")})
    if len(reason) > REASON_MAX_LENGTH:
        raise ValidationError({"reason": _("Write at most %(n)d characters.") % {"n": REASON_MAX_LENGTH}})


@transaction.atomic
def client_reassign(
    *, by: User, client: User, from_counsellor: User, to_counsellor: User, reason: str
) -> Reassignment:
    """A coordinator gives a client another counsellor of the same organisation: the client keeps
    their old conversation and past appointments, gets a conversation with the new counsellor,
    their upcoming appointments move to the new counsellor (or are cancelled when the new
    counsellor is not free then), and they are told once, after commit."""
    # booking's services import this module (conversation_get_or_create): import them here.
    from booking.models import Appointment
    from booking.services import BookingError, appointment_transfer
    from booking.services.appointments import booking_locks
    from counselling.tasks import reassignment_notify

    reason = reason.strip()
    _check_reassignment(
        by=by, client=client, from_counsellor=from_counsellor, to_counsellor=to_counsellor, reason=reason
    )
    # One reassignment of a client at a time, and none while one of them books (same locks).
    booking_locks(counsellor_ids=(from_counsellor.pk, to_counsellor.pk), client_id=client.pk)
    latest = Reassignment.objects.filter(client=client).order_by("-created_at", "-pk").first()
    if latest is not None and (latest.from_counsellor_id, latest.to_counsellor_id) == (
        from_counsellor.pk,
        to_counsellor.pk,
    ):
        # A second tap on the button, or two coordinators at once: the client is told once.
        raise ValidationError(
            {
                NON_FIELD_ERRORS: _("%(client)s has already moved from %(old)s to %(new)s.")
                % {
                    "client": client.display_name,
                    "old": from_counsellor.display_name,
                    "new": to_counsellor.display_name,
                }
            }
        )
    conversation_get_or_create(client=client, counsellor=to_counsellor)
    reassignment = Reassignment.objects.create(
        client=client,
        from_counsellor=from_counsellor,
        to_counsellor=to_counsellor,
        by=by,
        reason=reason,
    )
    upcoming = Appointment.objects.filter(
        client=client,
        counsellor=from_counsellor,
        status=Appointment.Status.BOOKED,
        start_at__gt=timezone.now(),
    ).order_by("start_at")
    for appointment in list(upcoming):
        try:
            new = appointment_transfer(appointment=appointment, to_counsellor=to_counsellor, by=by)
        except BookingError as error:
            raise ValidationError(error.message) from None
        ReassignedAppointment.objects.create(reassignment=reassignment, old=appointment, new=new)
    enqueue_on_commit(reassignment_notify, reassignment.pk)
    return reassignment
