import itertools
from datetime import timedelta

import factory
from allauth.mfa.adapter import get_adapter as get_mfa_adapter
from allauth.mfa.models import Authenticator

from accounts import services
from accounts.models import Organisation, Role, User

TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
PASSWORD = "a-long-test-password-42"
_seq = itertools.count(1)


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Partner organisation {n}")
    country = "NG"


def make_user(
    *roles: str,
    mfa: bool = True,
    organisation: Organisation | None = None,
    **fields: object,
) -> User:
    """A user created through the service, with TOTP set up for staff roles unless mfa=False."""
    roles = roles or (Role.MIGRANT,)
    n = next(_seq)
    if organisation is None and {Role.COUNSELLOR, Role.COORDINATOR} & set(roles):
        organisation = OrganisationFactory()
    fields.setdefault("email", f"user{n}@example.org")
    fields.setdefault("display_name", f"User {n}")
    # Staff accounts are made by administrators with a checked address.
    fields.setdefault("email_verified", True)
    user = services.user_create(password=PASSWORD, roles=roles, organisation=organisation, **fields)
    if mfa and {Role.COUNSELLOR, Role.COORDINATOR, Role.ADMIN} & set(roles):
        Authenticator.objects.create(
            user=user,
            type=Authenticator.Type.TOTP,
            data={"secret": get_mfa_adapter().encrypt(TOTP_SECRET)},
        )
    return user


def make_bookable_counsellor(
    *,
    time_zone: str = "Africa/Lagos",
    languages: tuple[str, ...] = ("en", "yo"),
    hours: tuple[int, int] = (9, 17),
    durations: tuple[int, ...] = (30, 60),
    organisation: Organisation | None = None,
    display_name: str | None = None,
    **schedule: int,
) -> User:
    """A counsellor available every day from hours[0] to hours[1] local time."""
    from datetime import time

    from booking import services as booking

    names = {"display_name": display_name} if display_name else {}
    counsellor = make_user(
        Role.COUNSELLOR, time_zone=time_zone, languages=list(languages), organisation=organisation, **names
    )
    services.counsellor_profile_update(
        user=counsellor, bio="", accepting_new_clients=True, countries=["NG"], topics=["return"]
    )
    schedule.setdefault("min_notice", 0)
    booking.schedule_update(counsellor=counsellor, durations=durations, **schedule)
    booking.weekly_rules_set(
        counsellor=counsellor, rules=[(day, time(hours[0]), time(hours[1])) for day in range(7)]
    )
    return counsellor


def make_appointment(*, client, counsellor, conversation, starts_in, minutes=45, modality="video"):
    """A booked appointment of `conversation` starting `starts_in` (a timedelta) from now,
    written directly (the booking rules are not what such a test is about)."""
    import uuid

    from django.utils import timezone

    from booking.models import Appointment

    start = timezone.now() + starts_in
    return Appointment.objects.create(
        counsellor=counsellor,
        client=client,
        conversation=conversation,
        start_at=start,
        end_at=start + timedelta(minutes=minutes),
        modality=modality,
        topic="other",
        language="en",
        idempotency_key=uuid.uuid4(),
    )
