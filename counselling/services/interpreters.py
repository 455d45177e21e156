"""An interpreter as a third participant, only with the client's consent.

A coordinator of the counsellor's organisation proposes an interpreter of that organisation who
speaks the language; the client allows or declines, and decides whether the interpreter reads
what was written before they joined. The client or a coordinator can remove the interpreter
again; their open sockets on the conversation close as soon as that is committed.

Every answer locks the proposal's row, so two taps (or two tabs) give one answer; the client
is told by e-mail or SMS after commit, without names or text: only that a request waits.
"""

import logging
from importlib import import_module

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role, User
from accounts.notify import person_notify
from accounts.reference import LANGUAGE_CODES
from counselling.models import Conversation, InterpreterInvitation, Message, Participant
from counselling.selectors.interpreters import interpreter_speaks

logger = logging.getLogger(__name__)

NOTICE_TEMPLATES = "counselling/interpreters/consent_notice"


def _coordinator_organisation_id(by: User, conversation: Conversation) -> int:
    """The organisation `by` coordinates, when the conversation is one of its counsellors'."""
    if not by.is_active or not by.has_role(Role.COORDINATOR) or by.organisation_id is None:
        raise ValidationError(_("Only coordinators of the counsellor's organisation can do this."))
    counsellor = User.objects.only("organisation_id").get(pk=conversation.counsellor_id)
    if counsellor.organisation_id != by.organisation_id:
        raise ValidationError(_("Only coordinators of the counsellor's organisation can do this."))
    return by.organisation_id


def _check_interpreter(*, interpreter: User, organisation_id: int, conversation: Conversation) -> None:
    """Whether `interpreter` may work in this conversation now (any language)."""
    if (
        not interpreter.is_active
        or not interpreter.has_role(Role.INTERPRETER)
        or interpreter.organisation_id != organisation_id
    ):
        raise ValidationError(
            {
                "interpreter": _("%(name)s is not an interpreter of your organisation.")
                % {"name": interpreter.display_name}
            }
        )
    if interpreter.pk in (conversation.client_id, conversation.counsellor_id):
        raise ValidationError(
            {
                "interpreter": _(
                    "The client and the counsellor cannot be the interpreter of their own conversation."
                )
            }
        )


def _notify_client(invitation_id: int) -> None:
    """Tell the client a consent request waits (no names, no language: only a link)."""
    invitation = (
        InterpreterInvitation.objects.filter(pk=invitation_id, status=InterpreterInvitation.Status.PENDING)
        .select_related("conversation__client")
        .first()
    )
    if invitation is None:
        return  # withdrawn or answered before the notice went
    client = invitation.conversation.client
    url = settings.SITE_URL.rstrip("/") + reverse(
        "counselling:conversation", args=[invitation.conversation_id]
    )
    try:
        person_notify(recipient=client, templates=NOTICE_TEMPLATES, context={"recipient": client, "url": url})
    except Exception:  # noqa: BLE001 - the banner on the conversation page still asks
        logger.warning("interpreter invitation %s: the client could not be told", invitation_id)


def _close_sockets(conversation_id: int, user_id: int) -> None:
    """Close the removed person's sockets on this conversation (not their other conversations)."""
    # The consumer's handler `participant_removed` closes the sockets of `user` that are in
    # this conversation's group. Imported by name: the consumers module (Channels) is outside
    # the strictly typed services and selectors.
    consumers = import_module("counselling.consumers")
    layer = get_channel_layer()
    if layer is not None:
        async_to_sync(layer.group_send)(
            consumers.conversation_group(conversation_id), {"type": "participant.removed", "user": user_id}
        )


@transaction.atomic
def interpreter_invitation_create(
    *, by: User, conversation: Conversation, interpreter: User, language: str
) -> InterpreterInvitation:
    """A coordinator proposes an interpreter for a conversation; the client is asked after commit."""
    organisation_id = _coordinator_organisation_id(by, conversation)
    if language not in LANGUAGE_CODES:
        raise ValidationError({"language": _("Choose a language from the list.")})
    _check_interpreter(interpreter=interpreter, organisation_id=organisation_id, conversation=conversation)
    if not interpreter_speaks(interpreter=interpreter, language=language):
        raise ValidationError(
            {
                "interpreter": _("%(name)s does not interpret this language.")
                % {"name": interpreter.display_name}
            }
        )
    # One proposal at a time per conversation: the conversation's row serialises them.
    Conversation.objects.select_for_update().filter(pk=conversation.pk).first()
    if Participant.objects.filter(
        conversation=conversation, user=interpreter, removed_at__isnull=True
    ).exists():
        raise ValidationError(
            {
                "interpreter": _("%(name)s is already in this conversation.")
                % {"name": interpreter.display_name}
            }
        )
    if InterpreterInvitation.objects.filter(
        conversation=conversation, status=InterpreterInvitation.Status.PENDING
    ).exists():
        raise ValidationError(
            {
                NON_FIELD_ERRORS: _(
                    "A proposal already waits for the client's answer. "
                    "Withdraw it first to propose someone else."
                )
            }
        )
    invitation = InterpreterInvitation.objects.create(
        conversation=conversation, interpreter=interpreter, invited_by=by, language=language
    )
    transaction.on_commit(lambda: _notify_client(invitation.pk))
    return invitation


def _locked_pending(invitation: InterpreterInvitation) -> InterpreterInvitation:
    """The proposal's row, locked; refused unless it still waits for an answer."""
    locked = InterpreterInvitation.objects.select_for_update().get(pk=invitation.pk)
    if locked.status == InterpreterInvitation.Status.WITHDRAWN:
        raise ValidationError(_("This proposal was withdrawn by your organisation."), code="withdrawn")
    if locked.status == InterpreterInvitation.Status.DECLINED:
        raise ValidationError(_("This proposal has already been declined."), code="declined")
    if locked.status == InterpreterInvitation.Status.ACCEPTED:
        raise ValidationError(_("This proposal has already been accepted."), code="accepted")
    return locked


def _check_client(client: User, invitation: InterpreterInvitation) -> Conversation:
    conversation = Conversation.objects.get(pk=invitation.conversation_id)
    if conversation.client_id != client.pk or not client.is_active:
        raise ValidationError(_("Only the client of this conversation can answer."), code="not_client")
    return conversation


@transaction.atomic
def interpreter_invitation_accept(
    *, client: User, invitation: InterpreterInvitation, shares_history: bool
) -> Participant:
    """The client allows the interpreter in; they read earlier messages only if `shares_history`."""
    conversation = _check_client(client, invitation)
    locked = _locked_pending(invitation)
    interpreter = User.objects.get(pk=locked.interpreter_id)
    counsellor = User.objects.only("organisation_id").get(pk=conversation.counsellor_id)
    if (
        not interpreter.is_active
        or not interpreter.has_role(Role.INTERPRETER)
        or counsellor.organisation_id is None
        or interpreter.organisation_id != counsellor.organisation_id
    ):
        raise ValidationError(_("This interpreter is no longer available."), code="unavailable")
    now = timezone.now()
    # What was there before they joined is old news to them (shared or hidden): no unread count,
    # no "new message" notice, and the others' ticks do not fall back from "Read".
    last_id = (
        Message.objects.filter(conversation=conversation).order_by("-id").values_list("id", flat=True).first()
    )
    position = last_id or 0
    values = {
        "role": Participant.Role.INTERPRETER,
        "joined_at": now,
        "sees_history_from": None if shares_history else now,
        "removed_at": None,
        "last_read_id": position,
        "last_delivered_id": position,
        "notified_up_to_id": position,
    }
    participant = (
        Participant.objects.select_for_update().filter(conversation=conversation, user=interpreter).first()
    )
    if participant is None:
        participant = Participant.objects.create(conversation=conversation, user=interpreter, **values)
    else:
        # Removed earlier and allowed back: the same row, with this consent only.
        if participant.role != Participant.Role.INTERPRETER or participant.removed_at is None:
            raise ValidationError(_("This interpreter is no longer available."), code="unavailable")
        for field, value in values.items():
            setattr(participant, field, value)
        participant.save(update_fields=list(values))
    locked.status = InterpreterInvitation.Status.ACCEPTED
    locked.shares_history = shares_history
    locked.answered_at = now
    locked.save(update_fields=["status", "shares_history", "answered_at"])
    return participant


@transaction.atomic
def interpreter_invitation_decline(
    *, client: User, invitation: InterpreterInvitation
) -> InterpreterInvitation:
    """The client says no; the interpreter never joins on this proposal."""
    _check_client(client, invitation)
    locked = _locked_pending(invitation)
    locked.status = InterpreterInvitation.Status.DECLINED
    locked.answered_at = timezone.now()
    locked.save(update_fields=["status", "answered_at"])
    return locked


@transaction.atomic
def interpreter_invitation_withdraw(*, by: User, invitation: InterpreterInvitation) -> InterpreterInvitation:
    """A coordinator takes back a proposal the client has not answered yet."""
    conversation = Conversation.objects.get(pk=invitation.conversation_id)
    _coordinator_organisation_id(by, conversation)
    locked = _locked_pending(invitation)
    locked.status = InterpreterInvitation.Status.WITHDRAWN
    locked.answered_at = timezone.now()
    locked.save(update_fields=["status", "answered_at"])
    return locked


@transaction.atomic
def interpreter_remove(*, by: User, participant: Participant) -> Participant:
    """The client or a coordinator removes an interpreter; their sockets on the conversation
    close after commit. Removing someone already removed changes nothing."""
    conversation = Conversation.objects.get(pk=participant.conversation_id)
    if by.pk != conversation.client_id:
        _coordinator_organisation_id(by, conversation)
    locked = Participant.objects.select_for_update().get(pk=participant.pk)
    if locked.role != Participant.Role.INTERPRETER:
        raise ValidationError(_("Only an interpreter can be removed from a conversation."))
    if locked.removed_at is not None:
        return locked
    locked.removed_at = timezone.now()
    locked.save(update_fields=["removed_at"])
    conversation_id, user_id = locked.conversation_id, locked.user_id
    transaction.on_commit(lambda: _close_sockets(conversation_id, user_id))
    return locked
