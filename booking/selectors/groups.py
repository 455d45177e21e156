"""Reads of group sessions and their registrations."""

from datetime import datetime, timedelta

from django.db.models import Case, OuterRef, Q, QuerySet, Subquery, Value, When

from accounts.models import Role, User
from booking.models import GroupRegistration, GroupSession


def group_session_list_upcoming(
    *, viewer: User | None, now: datetime, language: str = "", topic: str = "", country: str = ""
) -> QuerySet[GroupSession]:
    """Scheduled sessions that have not started, with the viewer's own status (`my_status`)."""
    sessions = GroupSession.objects.filter(status=GroupSession.Status.SCHEDULED, start_at__gt=now)
    if language:
        sessions = sessions.filter(language=language)
    if topic:
        sessions = sessions.filter(topic=topic)
    if country:
        # Sessions about that country, and those for everyone.
        sessions = sessions.filter(Q(country=country) | Q(country=""))
    mine = GroupRegistration.objects.filter(session=OuterRef("pk"), participant=viewer).exclude(
        status=GroupRegistration.Status.CANCELLED
    )
    status = Subquery(mine.values("status")[:1]) if viewer is not None else Value("")
    return sessions.select_related("host").annotate(my_status=status).order_by("start_at", "pk")


def group_session_languages(*, now: datetime) -> list[str]:
    """Languages of the sessions that can still be joined (for the filter)."""
    upcoming = GroupSession.objects.filter(status=GroupSession.Status.SCHEDULED, start_at__gt=now)
    return list(upcoming.order_by().values_list("language", flat=True).distinct())


def group_session_get(*, session_id: int) -> GroupSession | None:
    return GroupSession.objects.select_related("host", "organisation").filter(pk=session_id).first()


def group_registration_get(*, session: GroupSession, participant: User) -> GroupRegistration | None:
    """The person's active registration (place or waiting list), if any."""
    return (
        GroupRegistration.objects.filter(session=session, participant=participant)
        .exclude(status=GroupRegistration.Status.CANCELLED)
        .first()
    )


def group_waitlist_position(*, registration: GroupRegistration) -> int:
    """1 for the first person waiting."""
    ahead = GroupRegistration.objects.filter(
        session_id=registration.session_id,
        status=GroupRegistration.Status.WAITLISTED,
    ).filter(
        Q(queued_at__lt=registration.queued_at) | Q(queued_at=registration.queued_at, pk__lt=registration.pk)
    )
    return ahead.count() + 1


def group_registration_list(*, session: GroupSession) -> QuerySet[GroupRegistration]:
    """Who has a place, then who is waiting (in order): for the host and coordinators only."""
    return (
        GroupRegistration.objects.filter(session=session)
        .exclude(status=GroupRegistration.Status.CANCELLED)
        .select_related("participant")
        .order_by(
            Case(When(status=GroupRegistration.Status.REGISTERED, then=0), default=1), "queued_at", "pk"
        )
    )


def group_session_list_for_manager(*, user: User, now: datetime) -> QuerySet[GroupSession]:
    """Sessions `user` hosts, and for coordinators their organisation's; recent and upcoming."""
    scope = Q(host=user)
    if user.has_role(Role.COORDINATOR) and user.organisation_id is not None:
        scope |= Q(organisation_id=user.organisation_id)
    return (
        GroupSession.objects.filter(scope, end_at__gt=now - timedelta(days=7))
        .select_related("host")
        .order_by("start_at", "pk")
    )


def group_registration_list_for_participant(*, user: User, now: datetime) -> QuerySet[GroupRegistration]:
    """The person's places and waiting-list entries in sessions that have not ended."""
    return (
        GroupRegistration.objects.filter(participant=user, session__end_at__gt=now)
        .exclude(status=GroupRegistration.Status.CANCELLED)
        .select_related("session__host")
        .order_by("session__start_at")
    )
