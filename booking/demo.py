"""Demo booking data for `manage.py seed_demo` (idempotent): office hours for the demo
counsellors, so that the directory shows free times at once, and group sessions to join."""

from collections.abc import Callable
from datetime import datetime, time, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import User
from accounts.reference import zone_for
from booking import services
from booking.models import GroupSession, Schedule

COUNSELLORS = ("counsellor@demo.test", "counsellor2@demo.test")
# Monday to Friday, local time of each counsellor, with a lunch break.
HOURS = ((time(9), time(13)), (time(14), time(17)))


@transaction.atomic
def seed(*, write: Callable[[str], None]) -> None:
    for email in COUNSELLORS:
        counsellor = User.objects.filter(email=email).first()
        if counsellor is None:
            continue
        # A schedule changed by someone trying the demo is kept.
        if Schedule.objects.filter(counsellor=counsellor).exists():
            continue
        services.schedule_update(
            counsellor=counsellor, durations=[30, 60], buffer_after=15, min_notice=120, horizon_days=28
        )
        services.weekly_rules_set(
            counsellor=counsellor,
            rules=[(weekday, start, end) for weekday in range(5) for start, end in HOURS],
        )
        write(f"office hours for {email}")
    seed_group_sessions(write=write)


# Host, title, kind, topic, language, country, days ahead, local start, minutes, places.
SESSIONS = (
    (
        "counsellor2@demo.test",
        "Returning to Afghanistan: documents and first steps",
        GroupSession.Kind.INFORMATION,
        "return",
        "ps",
        "AF",
        3,
        time(17, 30),
        60,
        25,
    ),
    (
        "counsellor2@demo.test",
        "Coping with stress before and after return",
        GroupSession.Kind.WEBINAR,
        "psychosocial",
        "fa",
        "AF",
        5,
        time(18),
        90,
        40,
    ),
    (
        "counsellor@demo.test",
        "Finding work and training in Nigeria after return",
        GroupSession.Kind.WEBINAR,
        "work",
        "en",
        "NG",
        4,
        time(16),
        60,
        50,
    ),
)


@transaction.atomic
def seed_group_sessions(*, write: Callable[[str], None]) -> None:
    """Upcoming demo sessions, made again once the earlier ones have passed."""
    now = timezone.now()
    for email, title, kind, topic, language, country, days, start, minutes, places in SESSIONS:
        host = User.objects.filter(email=email).first()
        if host is None or GroupSession.objects.filter(host=host, title=title, start_at__gt=now).exists():
            continue
        zone = zone_for(host.time_zone)
        day = now.astimezone(zone).date() + timedelta(days=days)
        services.group_session_create(
            host=host,
            kind=kind,
            title=title,
            topic=topic,
            language=language,
            country=country,
            start_at=datetime.combine(day, start, tzinfo=zone),
            duration=minutes,
            capacity=places,
            location="https://meet.jit.si/passage-demo-" + slugify(title),
        )
        write(f"group session {title!r}")
