"""Reads of feedback, complaints and session ratings, scoped to who may see them.

Which coordinators see a feedback item:

- With a country: coordinators of organisations in that country, i.e. based there or with
  counsellors serving it (the same rule as information requests, see selectors.intake). No
  other organisation ever sees it.
- Without a country, from a signed-in person who has a counsellor: the coordinators of the
  organisations of their counsellors (whoever the item is about, those are the people
  responsible for that person's care).
- Without a country, from a signed-in person without a counsellor whose country of origin
  some organisation handles: the coordinators of those organisations.
- Otherwise (anonymous, or nobody handles the sender's country): every coordinator, so that no
  item is left unseen. Such items say nothing that ties them to an organisation.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Avg, Count, Exists, OuterRef, Q, QuerySet

from accounts.models import CounsellorCountry, Organisation, Role, User
from booking.models import Appointment
from counselling.models import Conversation, Feedback, SessionRating
from counselling.selectors.intake import organisation_country_codes

# A counsellor sees their average only from this many ratings: with fewer, one client's
# rating could be told from the figure.
RATING_MIN_FOR_AVERAGE = 3


def _handled_countries() -> set[str]:
    """Every country some organisation handles (based there or served by its counsellors)."""
    based = Organisation.objects.values_list("country", flat=True)
    served = CounsellorCountry.objects.filter(
        profile__user__organisation__isnull=False,
        profile__user__is_active=True,
        profile__user__roles__role=Role.COUNSELLOR,
    ).values_list("country", flat=True)
    return {*based, *served} - {""}


def feedback_list_for_coordinator(
    *, organisation: Organisation, status: str = "", kind: str = ""
) -> QuerySet[Feedback]:
    """Feedback the organisation's coordinators handle (see the module), newest first."""
    countries = organisation_country_codes(organisation=organisation)
    has_counsellor = Exists(Conversation.objects.filter(client=OuterRef("sender")))
    our_client = Exists(
        Conversation.objects.filter(client=OuterRef("sender"), counsellor__organisation=organisation)
    )
    unrouted = Q(sender__isnull=True) | ~Q(sender__country_of_origin__in=_handled_countries())
    items = Feedback.objects.filter(
        Q(country__in=countries)
        | Q(country="", sender__isnull=False) & our_client
        | Q(country="", sender__country_of_origin__in=countries) & ~has_counsellor
        | Q(country="") & ~has_counsellor & unrouted
    )
    if status:
        items = items.filter(status=status)
    if kind:
        items = items.filter(kind=kind)
    return items.select_related("handled_by").order_by("-created_at", "-pk")


def feedback_get_for_coordinator(*, organisation: Organisation, feedback_id: int) -> Feedback | None:
    return feedback_list_for_coordinator(organisation=organisation).filter(pk=feedback_id).first()


def feedback_get_by_reference(*, reference: str) -> Feedback | None:
    if not reference:
        return None
    return Feedback.objects.filter(reference=reference).first()


def feedback_open_count(*, organisation: Organisation) -> int:
    """Items not yet looked into."""
    return feedback_list_for_coordinator(organisation=organisation, status=Feedback.Status.RECEIVED).count()


# --- Session ratings ------------------------------------------------------------------------


def session_rating_may_rate(*, appointment: Appointment, user: User, now: datetime) -> bool:
    """Only the client, once the appointment has ended, and not when it was cancelled or the
    client did not come."""
    return (
        appointment.client_id == user.pk
        and appointment.status in (Appointment.Status.BOOKED, Appointment.Status.COMPLETED)
        and appointment.end_at <= now
    )


def session_rating_get(*, appointment: Appointment) -> SessionRating | None:
    return SessionRating.objects.filter(appointment=appointment).first()


def appointment_to_rate_for_client(*, client: User, now: datetime) -> Appointment | None:
    """The client's latest ended appointment (last 14 days) that they have not rated yet."""
    return (
        Appointment.objects.filter(
            client=client,
            status__in=[Appointment.Status.BOOKED, Appointment.Status.COMPLETED],
            end_at__lte=now,
            end_at__gt=now - timedelta(days=14),
            rating__isnull=True,
        )
        .select_related("counsellor")
        .defer("note")
        .order_by("-end_at")
        .first()
    )


@dataclass(frozen=True)
class RatingSummary:
    count: int
    average: float | None  # None while there are too few ratings to show one

    @property
    def average_text(self) -> str:
        return f"{self.average:.1f}" if self.average is not None else ""


def session_rating_summary_for_counsellor(*, counsellor: User) -> RatingSummary:
    """The counsellor's count and average of ratings; never who gave which."""
    figures = SessionRating.objects.filter(appointment__counsellor=counsellor).aggregate(
        n=Count("pk"), avg=Avg("stars")
    )
    count = figures["n"] or 0
    average = figures["avg"] if count >= RATING_MIN_FOR_AVERAGE else None
    return RatingSummary(count=count, average=round(average, 1) if average is not None else None)


@dataclass(frozen=True)
class CounsellorRatings:
    counsellor: User
    count: int
    average: float | None


def session_rating_summary_for_organisation(*, organisation: Organisation) -> list[CounsellorRatings]:
    """Per counsellor of the organisation: how many ratings and their average (one query)."""
    rows = (
        User.objects.filter(organisation=organisation, roles__role=Role.COUNSELLOR)
        .annotate(
            n=Count("counsellor_appointments__rating"),
            avg=Avg("counsellor_appointments__rating__stars"),
        )
        .order_by("display_name", "pk")
    )
    return [
        CounsellorRatings(
            counsellor=row,
            count=row.n,
            average=round(row.avg, 1) if row.avg is not None else None,
        )
        for row in rows
    ]
