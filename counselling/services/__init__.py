import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables

from accounts.models import Role, User
from config.celery import enqueue_on_commit
from counselling import crypto
from counselling.models import (
    CaseNote,
    CaseNoteAccess,
    Conversation,
    Message,
    MessageReport,
    Participant,
    ReassignedAppointment,
    Reassignment,
)
from counselling.selectors import (
    case_note_is_client_counsellor,
    case_note_readable_organisation_id,
    last_message_id,
)

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


# --- Case notes -----------------------------------------------------------------------------
# Who may read and write: see the "Case notes" section of selectors.py. The text is sealed here
# before it reaches the model and opened only in case_notes_open, which records each read in the
# same transaction. Refusals and errors name no note text (they may reach a log); the functions
# that hold text are marked `sensitive_variables` so Django's error reports leave it out.

# Room for a careful account of a session; a longer text is a pasted document, refused with a
# clear message instead of stored.
NOTE_MAX_CHARS = 10_000


@dataclass(frozen=True)
class OpenedCaseNote:
    """A case note with its text, as handed out by `case_notes_open` once the read is recorded."""

    note: CaseNote
    # Out of repr: an OpenedCaseNote written to a log shows no text.
    body: str = field(repr=False)


def _check_writer(*, author: User, client_id: int) -> int:
    """The author's organisation, when they may write about the client; refused otherwise."""
    organisation_id = author.organisation_id
    if (
        organisation_id is None
        or not author.is_active
        or not author.has_role(Role.COUNSELLOR)
        or not case_note_is_client_counsellor(counsellor=author, client_id=client_id)
    ):
        raise PermissionDenied(_("Only the client's counsellors can write notes about them."))
    return organisation_id


@sensitive_variables("body", "text")
def _clean_body(body: str) -> str:
    text = body.strip()
    if not text:
        raise ValidationError({"body": ValidationError(_("Write the note first."), code="empty")})
    if len(text) > NOTE_MAX_CHARS:
        too_long = _("A note can have at most %(max)d characters; this one has %(count)d.") % {
            "max": NOTE_MAX_CHARS,
            "count": len(text),
        }
        raise ValidationError({"body": ValidationError(too_long, code="too_long")})
    return text


@sensitive_variables("body", "text")
@transaction.atomic
def case_note_create(*, author: User, client: User, body: str, ref: uuid.UUID | None = None) -> CaseNote:
    """A counsellor writes a note about one of their clients. It belongs to the author's
    organisation, is stored sealed with the current key, and the writing is recorded.

    `ref` is the id the form chose for the note: the same form sent again (a retry on a bad
    connection, a second tap) returns the stored note instead of writing it twice."""
    organisation_id = _check_writer(author=author, client_id=client.pk)
    if ref is not None:
        earlier = CaseNote.objects.filter(ref=ref).first()
        if earlier is not None:
            return _same_note(earlier, author=author, client=client)
    text = _clean_body(body)
    now = timezone.now()
    # One instant for both: a note never written again shows no "changed".
    note = CaseNote(
        client=client, author=author, organisation_id=organisation_id, created_at=now, updated_at=now
    )
    if ref is not None:
        note.ref = ref
    note.body_sealed = crypto.encrypt(text, context=note.encryption_context)
    try:
        with transaction.atomic():
            note.save(force_insert=True)
    except IntegrityError:
        # The same form arrived twice at once: the first one stored it.
        earlier = CaseNote.objects.filter(ref=note.ref).first()
        if earlier is None:
            raise
        return _same_note(earlier, author=author, client=client)
    CaseNoteAccess.objects.create(
        note=note, client=client, reader=author, action=CaseNoteAccess.Action.CREATE
    )
    return note


def _same_note(earlier: CaseNote, *, author: User, client: User) -> CaseNote:
    # A form's id names one note of one author about one client, never someone else's note.
    if earlier.author_id != author.pk or earlier.client_id != client.pk:
        raise ValidationError(_("This form has expired. Please reload the page and write the note again."))
    return earlier


@sensitive_variables("body", "text")
@transaction.atomic
def case_note_update(*, editor: User, note: CaseNote, body: str) -> CaseNote:
    """The author changes their own note (sealed again, with the current key); recorded. Only
    while they still may write about the client within the note's organisation."""
    locked = CaseNote.objects.select_for_update().get(pk=note.pk)
    if locked.author_id != editor.pk:
        raise PermissionDenied(_("Only the counsellor who wrote a note can change it."))
    if _check_writer(author=editor, client_id=locked.client_id) != locked.organisation_id:
        raise PermissionDenied(_("This note belongs to the records of another organisation."))
    text = _clean_body(body)
    locked.body_sealed = crypto.encrypt(text, context=locked.encryption_context)
    locked.updated_at = timezone.now()
    locked.save(update_fields=["body_sealed", "updated_at"])
    CaseNoteAccess.objects.create(
        note=locked, client_id=locked.client_id, reader=editor, action=CaseNoteAccess.Action.UPDATE
    )
    return locked


@sensitive_variables("opened")
@transaction.atomic
def case_notes_open(
    *, reader: User, notes: Sequence[CaseNote], action: str = CaseNoteAccess.Action.LIST
) -> list[OpenedCaseNote]:
    """The text of `notes` for `reader`, every one of them recorded as read (`action`: "list"
    for a list, "read" for one note) with one insert, in the same transaction.

    Checks again who may read, whatever query the notes came from; raises PermissionDenied for
    any note the reader may not read, and crypto.DecryptionError for one that cannot be opened
    with the configured keys (nothing is recorded then, as nothing was shown)."""
    if action not in (CaseNoteAccess.Action.LIST, CaseNoteAccess.Action.READ):
        raise ValueError(f"Opening notes records a list or a read, not {action!r}.")
    readable: dict[int, int | None] = {}
    for note in notes:
        if note.client_id not in readable:
            readable[note.client_id] = case_note_readable_organisation_id(
                reader=reader, client_id=note.client_id
            )
        if readable[note.client_id] != note.organisation_id:
            raise PermissionDenied(_("You may not read this client's notes."))
    opened = [
        OpenedCaseNote(note=note, body=crypto.decrypt(note.body_sealed, context=note.encryption_context))
        for note in notes
    ]
    at = timezone.now()
    CaseNoteAccess.objects.bulk_create(
        CaseNoteAccess(note=note, client_id=note.client_id, reader=reader, action=action, at=at)
        for note in notes
    )
    return opened


# --- Reports of messages --------------------------------------------------------------------

REPORT_REASON_MAX = 500


@transaction.atomic
def message_report(*, message: Message, reporter: User, reason: str = "") -> tuple[MessageReport, bool]:
    """Flag a message for the coordinators; reporting the same message again changes nothing."""
    participant = _active_participant(message.conversation, reporter)
    if participant.sees_history_from is not None and message.created_at < participant.sees_history_from:
        raise ValidationError(_("You are not part of this conversation."), code="not_participant")
    if message.sender_id == reporter.pk:
        raise ValidationError(_("You cannot report your own message."), code="own_message")
    reason = reason.strip()
    if len(reason) > REPORT_REASON_MAX:
        too_long = _("Please write at most %(max)d characters.") % {"max": REPORT_REASON_MAX}
        raise ValidationError({"reason": too_long})
    earlier = MessageReport.objects.filter(message=message, reporter=reporter).first()
    if earlier is not None:
        return earlier, False
    try:
        with transaction.atomic():
            return MessageReport.objects.create(message=message, reporter=reporter, reason=reason), True
    except IntegrityError:
        return MessageReport.objects.get(message=message, reporter=reporter), False


@transaction.atomic
def message_report_resolve(*, report: MessageReport, by: User, outcome: str) -> MessageReport:
    """A coordinator of the counsellor's organisation closes a report, saying what was done."""
    current = (
        MessageReport.objects.select_for_update(of=("self",))
        .select_related("message__conversation__counsellor")
        .get(pk=report.pk)
    )
    organisation_id = current.message.conversation.counsellor.organisation_id
    if not by.has_role(Role.COORDINATOR) or organisation_id is None or by.organisation_id != organisation_id:
        raise ValidationError(_("Only a coordinator of the organisation can close this report."))
    outcome = outcome.strip()
    if not outcome:
        raise ValidationError({"outcome": _("Write what was done.")})
    if len(outcome) > REPORT_REASON_MAX:
        too_long = _("Please write at most %(max)d characters.") % {"max": REPORT_REASON_MAX}
        raise ValidationError({"outcome": too_long})
    if current.status == MessageReport.Status.RESOLVED:
        return current
    current.status = MessageReport.Status.RESOLVED
    current.resolved_by = by
    current.resolved_at = timezone.now()
    current.outcome = outcome
    current.save(update_fields=["status", "resolved_by", "resolved_at", "outcome"])
    return current
