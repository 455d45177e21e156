"""Reads about interpreters: who may be proposed, the proposals of a conversation, and who is in
a conversation. Coordinators see only their organisation's conversations (those of its
counsellors); a client sees only proposals for their own conversations. Nobody here reads
messages."""

from dataclasses import dataclass

from django.db.models import Case, IntegerField, Prefetch, QuerySet, Value, When

from accounts.models import Role, User, UserLanguage
from counselling.models import Conversation, InterpreterInvitation, Participant


def interpreter_candidate_list(*, organisation_id: int | None) -> QuerySet[User]:
    """Active interpreters of the organisation, by name, each with the languages they work in."""
    if organisation_id is None:
        return User.objects.none()
    return (
        User.objects.filter(organisation_id=organisation_id, is_active=True, roles__role=Role.INTERPRETER)
        .prefetch_related(Prefetch("languages", queryset=UserLanguage.objects.order_by("position")))
        .order_by("display_name", "pk")
        .distinct()
    )


def interpreter_speaks(*, interpreter: User, language: str) -> bool:
    return UserLanguage.objects.filter(user=interpreter, code=language).exists()


def interpreter_conversation_count(*, user: User) -> int:
    """How many conversations the user is in as an interpreter now."""
    return Participant.objects.filter(
        user=user, role=Participant.Role.INTERPRETER, removed_at__isnull=True
    ).count()


def conversation_get_for_coordinator(*, coordinator: User, conversation_id: int) -> Conversation | None:
    """A conversation with a counsellor of the coordinator's organisation, with its two people;
    None for any other (and for a coordinator without an organisation)."""
    if coordinator.organisation_id is None or not coordinator.has_role(Role.COORDINATOR):
        return None
    return (
        Conversation.objects.filter(
            pk=conversation_id, counsellor__organisation_id=coordinator.organisation_id
        )
        .select_related("client", "counsellor")
        .prefetch_related(Prefetch("client__languages", queryset=UserLanguage.objects.order_by("position")))
        .first()
    )


def interpreter_invitation_list(*, conversation: Conversation) -> QuerySet[InterpreterInvitation]:
    """Every proposal of an interpreter for the conversation, newest first, with its people."""
    return (
        InterpreterInvitation.objects.filter(conversation=conversation)
        .select_related("interpreter", "invited_by")
        .order_by("-created_at", "-pk")
    )


def interpreter_invitation_pending_get(*, conversation_id: int) -> InterpreterInvitation | None:
    """The proposal of the conversation that waits for the client's answer (the oldest first)."""
    return (
        InterpreterInvitation.objects.filter(
            conversation_id=conversation_id, status=InterpreterInvitation.Status.PENDING
        )
        .select_related("interpreter", "conversation")
        .order_by("created_at", "pk")
        .first()
    )


def interpreter_invitation_get_for_client(
    *, client: User, invitation_id: int
) -> InterpreterInvitation | None:
    """A proposal for one of the client's own conversations (any status); None otherwise."""
    return (
        InterpreterInvitation.objects.filter(pk=invitation_id, conversation__client=client)
        .select_related("conversation", "interpreter")
        .first()
    )


def interpreter_invitation_get_for_coordinator(
    *, coordinator: User, invitation_id: int
) -> InterpreterInvitation | None:
    """A proposal for a conversation of the coordinator's organisation; None otherwise."""
    if coordinator.organisation_id is None or not coordinator.has_role(Role.COORDINATOR):
        return None
    return (
        InterpreterInvitation.objects.filter(
            pk=invitation_id, conversation__counsellor__organisation_id=coordinator.organisation_id
        )
        .select_related("conversation", "interpreter")
        .first()
    )


_ROLE_ORDER = Case(
    When(role=Participant.Role.CLIENT, then=Value(0)),
    When(role=Participant.Role.COUNSELLOR, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)


def conversation_people(*, conversation_id: int) -> list[Participant]:
    """Who is in the conversation now (client, counsellor, then interpreters), with their names."""
    return list(
        Participant.objects.filter(conversation_id=conversation_id, removed_at__isnull=True)
        .select_related("user")
        .order_by(_ROLE_ORDER, "joined_at", "pk")
    )


def interpreter_participant_get(*, conversation_id: int, user_id: int) -> Participant | None:
    """The interpreter `user_id` of the conversation, also once removed (removing them twice is
    one removal); None for anyone who never interpreted in it."""
    return (
        Participant.objects.filter(
            conversation_id=conversation_id, user_id=user_id, role=Participant.Role.INTERPRETER
        )
        .select_related("conversation", "user")
        .first()
    )


@dataclass(frozen=True)
class InterpreterPanel:
    """What the conversation page shows about interpreters to one participant."""

    people: list[Participant]
    # Someone besides the client and the counsellor is in the conversation.
    has_interpreter: bool
    # For the client: the proposal waiting for their answer.
    pending: InterpreterInvitation | None
    # For the counsellor: the latest proposal and where it stands.
    latest: InterpreterInvitation | None
    is_client: bool


def interpreter_panel(*, participant: Participant) -> InterpreterPanel:
    """Everything of the above in three queries at most."""
    conversation_id = participant.conversation_id
    people = conversation_people(conversation_id=conversation_id)
    is_client = participant.role == Participant.Role.CLIENT
    pending = interpreter_invitation_pending_get(conversation_id=conversation_id) if is_client else None
    latest = None
    if participant.role == Participant.Role.COUNSELLOR:
        latest = (
            InterpreterInvitation.objects.filter(conversation_id=conversation_id)
            .select_related("interpreter")
            .order_by("-created_at", "-pk")
            .first()
        )
    return InterpreterPanel(
        people=people,
        has_interpreter=any(p.role == Participant.Role.INTERPRETER for p in people),
        pending=pending,
        latest=latest,
        is_client=is_client,
    )
