"""Demo booking data for `manage.py seed_demo` (idempotent): office hours for the demo
counsellors, so that the directory shows free times at once."""

from collections.abc import Callable
from datetime import time

from django.db import transaction

from accounts.models import User
from booking import services
from booking.models import Schedule

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
