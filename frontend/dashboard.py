"""The dashboard is a list of cards; each app contributes the cards for the roles it serves.

A card provider takes the user and returns a `Card` or None (nothing to show). Apps register
providers in their AppConfig.ready() with `register_card`, so the dashboard never imports them.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts import selectors as account_selectors
from accounts.models import Role, User
from accounts.permissions import STAFF_ROLES
from accounts.reference import Topic, country_name, language_name


@dataclass
class Card:
    title: str
    template: str
    context: dict[str, object] = field(default_factory=dict)
    order: int = 100
    # Cards that ask the person to do something come first.
    needs_action: bool = False


CardProvider = Callable[[User], Card | None]
_providers: list[CardProvider] = []


def register_card(provider: CardProvider) -> CardProvider:
    if provider not in _providers:
        _providers.append(provider)
    return provider


def dashboard_cards(user: User) -> list[Card]:
    cards = [card for provider in _providers if (card := provider(user)) is not None]
    return sorted(cards, key=lambda c: (not c.needs_action, c.order))


@register_card
def profile_card(user: User) -> Card:
    codes = account_selectors.user_language_codes(user=user)
    missing = not codes or not user.country_of_origin
    return Card(
        title=_("Complete your profile") if missing else _("Your profile"),
        template="frontend/cards/profile.html",
        context={
            "languages": [language_name(c) for c in codes],
            "origin": country_name(user.country_of_origin) if user.country_of_origin else "",
            "residence": country_name(user.country_of_residence) if user.country_of_residence else "",
            "missing": missing,
        },
        order=90,
        needs_action=missing,
    )


@register_card
def security_card(user: User) -> Card | None:
    if not user.role_set & STAFF_ROLES:
        return None
    from allauth.mfa.models import Authenticator

    kinds = dict(Authenticator.objects.filter(user=user).values_list("type", "data"))
    codes_left = None
    if Authenticator.Type.RECOVERY_CODES in kinds:
        from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes

        authenticator = Authenticator.objects.get(user=user, type=Authenticator.Type.RECOVERY_CODES)
        codes_left = len(RecoveryCodes(authenticator).get_unused_codes())
    low = codes_left is not None and codes_left < 3
    return Card(
        title=_("Sign-in security"),
        template="frontend/cards/security.html",
        context={
            "codes_left": codes_left,
            "codes_text": ngettext("%(n)d recovery code left", "%(n)d recovery codes left", codes_left or 0)
            % {"n": codes_left or 0},
            "low": low,
        },
        order=80,
        needs_action=low,
    )


@register_card
def counsellor_card(user: User) -> Card | None:
    if not user.has_role(Role.COUNSELLOR):
        return None
    profile = account_selectors.counsellor_profile_get(user=user)
    countries = [country_name(c.country) for c in profile.countries.all()] if profile else []
    topics = [Topic(t.topic).label for t in profile.topics.all()] if profile else []
    missing = not countries or not topics
    return Card(
        title=_("What migrants see about you"),
        template="frontend/cards/counsellor.html",
        context={
            "profile": profile,
            "countries": countries,
            "topics": topics,
            "organisation": user.organisation,
            "missing": missing,
        },
        order=20,
        needs_action=missing,
    )


@register_card
def today_card(user: User) -> Card | None:
    """A counsellor's appointments today (their own zone): how many, and the next one."""
    if not user.has_role(Role.COUNSELLOR):
        return None
    from datetime import datetime, time, timedelta
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from django.utils import timezone

    from booking import selectors as booking_selectors
    from booking.models import Appointment

    try:
        zone = ZoneInfo(user.time_zone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    now = timezone.now()
    today = now.astimezone(zone).date()
    todays = list(
        booking_selectors.appointment_list_for_counsellor(counsellor=user)
        .filter(
            start_at__gte=datetime.combine(today, time(0), tzinfo=zone),
            start_at__lt=datetime.combine(today + timedelta(days=1), time(0), tzinfo=zone),
        )
        .exclude(status=Appointment.Status.CANCELLED)
        .order_by("start_at")
    )
    upcoming = [a for a in todays if a.status == Appointment.Status.BOOKED and a.end_at > now]
    return Card(
        title=_("Today"),
        template="frontend/cards/today.html",
        context={
            "count": len(todays),
            "count_text": ngettext("%(n)d appointment today", "%(n)d appointments today", len(todays))
            % {"n": len(todays)},
            "next": upcoming[0] if upcoming else None,
            "zone": user.time_zone,
            "agenda_url": reverse("booking:agenda"),
        },
        order=10,
    )


@register_card
def waiting_room_card(user: User) -> Card | None:
    """A counsellor's clients who opened "Join" and wait to be let in (shown only then)."""
    if not user.has_role(Role.COUNSELLOR):
        return None
    from counselling.selectors.calls import waiting_room_for_counsellor

    waiting = waiting_room_for_counsellor(counsellor=user)
    if not waiting:
        return None
    return Card(
        title=_("Waiting room"),
        template="frontend/cards/waiting_room.html",
        context={"waiting": waiting, "zone": user.time_zone},
        order=5,
        needs_action=True,
    )


@register_card
def admin_card(user: User) -> Card | None:
    if not user.has_role(Role.ADMIN):
        return None
    return Card(
        title=_("Administration"),
        template="frontend/cards/admin.html",
        context={"admin_url": reverse("admin:index")},
        order=95,
    )


@register_card
def next_appointment_card(user: User) -> Card | None:
    """A client's next appointment (both times); migrants without one are shown the way to book."""
    from django.utils import timezone

    from booking.selectors import appointment_next_for_client

    appointment = appointment_next_for_client(client=user, now=timezone.now())
    if appointment is None and not user.has_role(Role.MIGRANT):
        return None
    return Card(
        title=_("Your next appointment") if appointment else _("Talk to a counsellor"),
        template="frontend/cards/appointment.html",
        context={"appointment": appointment},
        order=10,
    )


@register_card
def group_sessions_card(user: User) -> Card | None:
    """Group sessions: the person's next place (or waiting-list entry), else what is on offer
    in their languages; hosts get the way to offer one."""
    from django.utils import timezone

    from booking import selectors as booking_selectors
    from booking.services import group_session_may_host

    now = timezone.now()
    mine = booking_selectors.group_registration_list_for_participant(user=user, now=now).first()
    languages = account_selectors.user_language_codes(user=user)
    offered = 0
    if mine is None and languages:
        offered = booking_selectors.group_session_list_upcoming(
            viewer=None, now=now, language=languages[0]
        ).count()
    hosting = group_session_may_host(user)
    if mine is None and not offered and not hosting:
        return None
    return Card(
        title=_("Group sessions"),
        template="frontend/cards/group_sessions.html",
        context={
            "registration": mine,
            "offered_text": ngettext(
                "%(n)d session in %(language)s coming up",
                "%(n)d sessions in %(language)s coming up",
                offered,
            )
            % {"n": offered, "language": language_name(languages[0])}
            if offered
            else "",
            "hosting": hosting,
        },
        order=30,
    )


@register_card
def messages_card(user: User) -> Card | None:
    """Unread messages over all the person's conversations, and the way to them."""
    from counselling.selectors import has_conversations, unread_total

    if not has_conversations(user=user):
        return None
    unread = unread_total(user=user)
    return Card(
        title=_("Messages"),
        template="frontend/cards/messages.html",
        context={
            "unread": unread,
            "unread_text": ngettext("%(n)d new message", "%(n)d new messages", unread) % {"n": unread},
        },
        order=15,
        needs_action=bool(unread),
    )


@register_card
def interpreter_card(user: User) -> Card | None:
    """An interpreter's organisation, languages and conversations (they join one only when its
    client agrees; the messages card shows what is new in them)."""
    if not user.has_role(Role.INTERPRETER):
        return None
    from counselling.selectors.interpreters import interpreter_conversation_count

    count = interpreter_conversation_count(user=user)
    return Card(
        title=_("Interpreting"),
        template="counselling/interpreters/card.html",
        context={
            "organisation": user.organisation,
            "languages": [language_name(c) for c in account_selectors.user_language_codes(user=user)],
            "count": count,
            "count_text": ngettext(
                "You take part in %(n)d conversation.", "You take part in %(n)d conversations.", count
            )
            % {"n": count},
        },
        order=20,
    )


@register_card
def intake_triage_card(user: User) -> Card | None:
    """Coordinators: public questions waiting for a counsellor, and feedback not looked into."""
    if not user.has_role(Role.COORDINATOR) or user.organisation is None:
        return None
    from counselling.selectors.feedback import feedback_open_count
    from counselling.selectors.intake import information_request_new_count

    new = information_request_new_count(organisation=user.organisation)
    feedback = feedback_open_count(organisation=user.organisation)
    return Card(
        title=_("Questions and feedback"),
        template="frontend/cards/intake_triage.html",
        context={
            "new": new,
            "new_text": ngettext("%(n)d new information request", "%(n)d new information requests", new)
            % {"n": new},
            "feedback": feedback,
            "feedback_text": ngettext(
                "%(n)d new feedback or complaint", "%(n)d new feedback or complaints", feedback
            )
            % {"n": feedback},
        },
        order=16,
        needs_action=bool(new or feedback),
    )


@register_card
def intake_assigned_card(user: User) -> Card | None:
    """Counsellors: public questions given to them that wait for an answer, and their ratings
    (count and average, never who rated what)."""
    if not user.has_role(Role.COUNSELLOR):
        return None
    from counselling.selectors.feedback import session_rating_summary_for_counsellor
    from counselling.selectors.intake import information_request_assigned_count

    assigned = information_request_assigned_count(counsellor=user)
    ratings = session_rating_summary_for_counsellor(counsellor=user)
    return Card(
        title=_("Questions for you"),
        template="frontend/cards/intake_assigned.html",
        context={
            "assigned": assigned,
            "assigned_text": ngettext(
                "%(n)d request assigned to you", "%(n)d requests assigned to you", assigned
            )
            % {"n": assigned},
            "ratings": ratings,
            "ratings_text": ngettext(
                "%(n)d rating of your appointments", "%(n)d ratings of your appointments", ratings.count
            )
            % {"n": ratings.count},
        },
        order=12,
        needs_action=bool(assigned),
    )


@register_card
def rate_appointment_card(user: User) -> Card | None:
    """Clients: their latest appointment of the last two weeks that has ended and is not rated."""
    from django.utils import timezone

    from counselling.selectors.feedback import appointment_to_rate_for_client

    appointment = appointment_to_rate_for_client(client=user, now=timezone.now())
    if appointment is None:
        return None
    return Card(
        title=_("How was your appointment?"),
        template="frontend/cards/rate_appointment.html",
        context={"appointment": appointment, "stars": range(1, 6), "zone": user.time_zone},
        order=11,
        needs_action=True,
    )
