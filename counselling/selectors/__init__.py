from dataclasses import dataclass
from datetime import UTC, datetime

from django.db.models import Case, Count, F, Min, OuterRef, Prefetch, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce

from accounts.models import Organisation, Role, User
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


def reassignment_list_for_organisation_client(
    *, organisation: Organisation, client: User
) -> QuerySet[Reassignment]:
    """The client's reassignments between counsellors of the organisation, newest first, each
    with its people and what it did to each appointment (never the appointments' notes)."""
    return (
        Reassignment.objects.filter(client=client)
        .filter(Q(from_counsellor__organisation=organisation) | Q(to_counsellor__organisation=organisation))
        .select_related("from_counsellor", "to_counsellor", "by")
        .prefetch_related(
            Prefetch(
                "appointments",
                queryset=ReassignedAppointment.objects.select_related("old", "new")
                .defer("old__note", "new__note")
                .order_by("old__start_at"),
            )
        )
        .order_by("-created_at", "-pk")
    )


# --- Conversations and messages ---------------------------------------------------------------


def participant_get(*, user: User, conversation_id: int) -> Participant | None:
    """The user's active place in a conversation, with the conversation and its two people;
    None when they are not (or no longer) in it."""
    return (
        Participant.objects.filter(
            user=user, conversation_id=conversation_id, removed_at__isnull=True, user__is_active=True
        )
        .select_related("conversation__client", "conversation__counsellor")
        .first()
    )


def _visible(participant: Participant) -> Q:
    if participant.sees_history_from is None:
        return Q()
    return Q(created_at__gte=participant.sees_history_from)


def message_page(
    *, participant: Participant, before_id: int | None = None, limit: int = 30
) -> tuple[list[Message], bool]:
    """The `limit` messages before `before_id` (the latest when None), oldest first, that this
    participant may see; and whether there are earlier ones."""
    messages = Message.objects.filter(_visible(participant), conversation_id=participant.conversation_id)
    if before_id is not None:
        messages = messages.filter(id__lt=before_id)
    page = list(messages.select_related("sender").order_by("-id")[: limit + 1])
    return list(reversed(page[:limit])), len(page) > limit


def message_get_for_participant(*, participant: Participant, message_id: int) -> Message | None:
    """One message of the participant's conversation that they may see."""
    return (
        Message.objects.filter(
            _visible(participant), conversation_id=participant.conversation_id, pk=message_id
        )
        .select_related("sender")
        .first()
    )


def message_list_after(
    *, participant: Participant, after_id: int, limit: int = 200, exclude_ids: set[int] | None = None
) -> list[Message]:
    """What a participant missed: the messages after `after_id`, in order (for a reconnect),
    without those in `exclude_ids` (which their device already has)."""
    messages = Message.objects.filter(
        _visible(participant), conversation_id=participant.conversation_id, id__gt=after_id
    )
    if exclude_ids:
        messages = messages.exclude(id__in=exclude_ids)
    return list(messages.select_related("sender").order_by("id")[:limit])


def last_message_id(*, conversation_id: int) -> int:
    """The id of the conversation's latest message (0 when there is none)."""
    last = (
        Message.objects.filter(conversation_id=conversation_id).order_by("-id").values_list("id", flat=True)
    )
    return last.first() or 0


def _others(participant: Participant) -> QuerySet[Participant]:
    return Participant.objects.filter(
        conversation_id=participant.conversation_id, removed_at__isnull=True
    ).exclude(pk=participant.pk)


def other_participant_ids(*, participant: Participant) -> list[int]:
    """The user ids of the others still in the conversation."""
    return list(_others(participant).values_list("user_id", flat=True))


def others_positions(*, participant: Participant) -> tuple[int, int]:
    """(read, delivered): the furthest message that every other participant has read, and that
    every other participant's device has received (for the ticks under one's own messages)."""
    found = _others(participant).aggregate(
        # Someone who turned read receipts off never shows as "read" ("delivered" at most).
        read=Min(Case(When(user__read_receipts=True, then=F("last_read_id")), default=Value(0))),
        delivered=Min("last_delivered_id"),
    )
    return found["read"] or 0, found["delivered"] or 0


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def conversation_list_for_user(*, user: User) -> QuerySet[Participant]:
    """The user's conversations, latest activity first, each with its two people, the last
    message (`last_id`, `last_body`, `last_at`, `last_sender_id`) and `unread`: three
    subqueries, one query whatever the number of conversations."""
    # What an interpreter may not read (sent before they joined, without the client's consent)
    # is not previewed either.
    visible_from = Coalesce(OuterRef("sees_history_from"), Value(EPOCH))
    messages = Message.objects.filter(
        conversation=OuterRef("conversation_id"), created_at__gte=visible_from
    ).order_by("-id")
    unread = (
        Message.objects.filter(conversation=OuterRef("conversation_id"), id__gt=OuterRef("last_read_id"))
        .exclude(sender=user)
        .order_by()
        .values("conversation")
        .annotate(n=Count("id"))
        .values("n")
    )
    return (
        Participant.objects.filter(user=user, removed_at__isnull=True)
        .select_related("conversation__client", "conversation__counsellor")
        .annotate(
            last_id=Subquery(messages.values("id")[:1]),
            last_body=Subquery(messages.values("body")[:1]),
            last_at=Subquery(messages.values("created_at")[:1]),
            last_sender_id=Subquery(messages.values("sender_id")[:1]),
            unread=Coalesce(Subquery(unread), 0),
        )
        .order_by(F("last_id").desc(nulls_last=True), "-conversation__created_at")
    )


def has_conversations(*, user: User) -> bool:
    return Participant.objects.filter(user=user, removed_at__isnull=True).exists()


def unread_total(*, user: User) -> int:
    """Messages from others the user has not read yet, over all their conversations."""
    return (
        Message.objects.filter(
            conversation__participants__user=user,
            conversation__participants__removed_at__isnull=True,
            id__gt=F("conversation__participants__last_read_id"),
        )
        .exclude(sender=user)
        .count()
    )


# --- Case notes -------------------------------------------------------------------------------
# Who may read a client's case notes: the client's counsellors, current and former (anyone who
# has a conversation with the client as their counsellor: a reassignment keeps the old
# conversation, so the former counsellor keeps the record of their work), and the coordinators of
# the organisation; in both cases only notes written within the reader's own organisation, and
# only while their account is active. Never the client, never an interpreter, nobody from another
# organisation. Who may write: the client's counsellors (the same counsellors). Reading the text
# goes through services.case_notes_open, which checks again and records every read.


@dataclass(frozen=True)
class CaseNoteScope:
    """What a reader may do with one client's notes: read those of `organisation_id`, and write
    new ones when `may_write`; `conversation_id`: the reader's own conversation with the client
    as their counsellor, when there is one."""

    client: User
    organisation_id: int
    may_write: bool
    conversation_id: int | None


def case_note_is_client_counsellor(*, counsellor: User, client_id: int) -> bool:
    """Whether `counsellor` is, or was, the client's counsellor (a conversation as counsellor)."""
    return Conversation.objects.filter(client_id=client_id, counsellor=counsellor).exists()


def case_note_readable_organisation_id(*, reader: User, client_id: int) -> int | None:
    """The organisation whose notes about the client `reader` may read; None: no notes at all."""
    organisation_id = reader.organisation_id
    if organisation_id is None or not reader.is_active or reader.pk == client_id:
        return None
    if reader.has_role(Role.COUNSELLOR) and case_note_is_client_counsellor(
        counsellor=reader, client_id=client_id
    ):
        return organisation_id
    if reader.has_role(Role.COORDINATOR) and (
        Conversation.objects.filter(client_id=client_id, counsellor__organisation_id=organisation_id).exists()
        # Notes stay the organisation's when their author has left it.
        or CaseNote.objects.filter(client_id=client_id, organisation_id=organisation_id).exists()
    ):
        return organisation_id
    return None


def case_note_scope(*, reader: User, client_id: int) -> CaseNoteScope | None:
    """The client and what `reader` may do with their notes; None when the reader may not read
    them (for the reader, the client's notes do not exist)."""
    organisation_id = case_note_readable_organisation_id(reader=reader, client_id=client_id)
    if organisation_id is None:
        return None
    client = User.objects.filter(pk=client_id).first()
    if client is None:
        return None
    conversation_id = (
        Conversation.objects.filter(client_id=client_id, counsellor=reader)
        .values_list("pk", flat=True)
        .first()
    )
    return CaseNoteScope(
        client=client,
        organisation_id=organisation_id,
        may_write=conversation_id is not None and reader.has_role(Role.COUNSELLOR),
        conversation_id=conversation_id,
    )


def case_note_list(*, scope: CaseNoteScope) -> QuerySet[CaseNote]:
    """The client's notes within the scope's organisation, newest first, with their authors;
    still sealed (services.case_notes_open gives the text and records the read)."""
    return (
        CaseNote.objects.filter(client=scope.client, organisation_id=scope.organisation_id)
        .select_related("author")
        .order_by("-created_at", "-pk")
    )


def case_note_get(*, scope: CaseNoteScope, note_id: int) -> CaseNote | None:
    """One of the client's notes within the scope's organisation (sealed); None otherwise."""
    return case_note_list(scope=scope).filter(pk=note_id).first()


def case_note_access_list(*, organisation: Organisation, client: User) -> QuerySet[CaseNoteAccess]:
    """Every recorded read and change of the client's notes of the organisation, newest first,
    with the person and the note's author; never the note's text (not even the sealed text)."""
    return (
        CaseNoteAccess.objects.filter(client=client, note__organisation=organisation)
        .select_related("reader", "note__author")
        .defer("note__body_sealed")
        .order_by("-at", "-pk")
    )


# --- Reports of messages --------------------------------------------------------------------


def message_report_list_for_organisation(*, organisation: Organisation) -> QuerySet[MessageReport]:
    """Reports of messages in conversations with the organisation's counsellors: open first."""
    return (
        MessageReport.objects.filter(message__conversation__counsellor__organisation=organisation)
        .select_related(
            "message__sender",
            "message__conversation__client",
            "message__conversation__counsellor",
            "reporter",
            "resolved_by",
        )
        .order_by(Case(When(status=MessageReport.Status.OPEN, then=0), default=1), "-created_at", "-pk")
    )
