"""Demo accounts for `manage.py seed_demo` (idempotent). Password for all: demo-pass-123."""

from collections.abc import Callable

from allauth.mfa.adapter import get_adapter as get_mfa_adapter
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from django.db import transaction

from accounts import services
from accounts.models import Organisation, Role, User
from accounts.permissions import STAFF_ROLES
from accounts.reference import Topic

DEMO_PASSWORD = "demo-pass-123"  # noqa: S105 - published demo credential
# Shared demo TOTP secret (≥ 112 bits, which pyotp requires), printed by seed_demo.
DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # noqa: S105

ORGANISATIONS = [
    {"name": "Demo Partner Lagos", "country": "NG"},
    {"name": "Demo Partner Kabul", "country": "AF"},
]

USERS = [
    {
        "email": "migrant@demo.test",
        "display_name": "Amina Bello",
        "roles": [Role.MIGRANT],
        "country_of_origin": "NG",
        "country_of_residence": "DE",
        "time_zone": "Europe/Berlin",
        "languages": ["en", "yo", "ha"],
    },
    {
        "email": "migrant2@demo.test",
        "phone": "+306912345678",
        "display_name": "Farid Ahmadi",
        "roles": [Role.MIGRANT],
        "country_of_origin": "AF",
        "country_of_residence": "GR",
        "time_zone": "Europe/Athens",
        "languages": ["ps", "prs", "fa"],
        "language": "fa",
    },
    {
        "email": "counsellor@demo.test",
        "display_name": "Chinedu Okafor",
        "roles": [Role.COUNSELLOR],
        "organisation": "Demo Partner Lagos",
        "country_of_origin": "NG",
        "country_of_residence": "NG",
        "time_zone": "Africa/Lagos",
        "languages": ["en", "yo", "ig"],
        "counsellor": {
            "countries": ["NG", "GH"],
            "topics": [Topic.RETURN, Topic.WORK, Topic.LEGAL],
            "bio": "I help people who return to Nigeria and Ghana find work, training and papers.",
        },
    },
    {
        "email": "counsellor2@demo.test",
        "display_name": "Mariam Karimi",
        "roles": [Role.COUNSELLOR],
        "organisation": "Demo Partner Kabul",
        "country_of_origin": "AF",
        "country_of_residence": "AF",
        "time_zone": "Asia/Kabul",
        "languages": ["prs", "ps", "fa", "en"],
        "language": "fa",
        "counsellor": {
            "countries": ["AF"],
            "topics": [Topic.RETURN, Topic.PSYCHOSOCIAL, Topic.FAMILY],
            "bio": "Psychosocial support and family questions for people returning to Afghanistan.",
        },
    },
    {
        "email": "coordinator@demo.test",
        "display_name": "Sofia Papadopoulou",
        "roles": [Role.COORDINATOR],
        "organisation": "Demo Partner Lagos",
        "time_zone": "Europe/Athens",
        "languages": ["el", "en"],
    },
    {
        # A second coordinator of the Lagos organisation: allowance batches need someone other
        # than the person who prepared them to approve them (maker-checker, allowances/demo.py).
        "email": "coordinator3@demo.test",
        "display_name": "Ngozi Adeyemi",
        "roles": [Role.COORDINATOR],
        "organisation": "Demo Partner Lagos",
        "country_of_origin": "NG",
        "country_of_residence": "NG",
        "time_zone": "Africa/Lagos",
        "languages": ["en", "yo"],
    },
    {
        "email": "coordinator2@demo.test",
        "display_name": "Zahra Karimi",
        "roles": [Role.COORDINATOR],
        "organisation": "Demo Partner Kabul",
        "time_zone": "Asia/Kabul",
        "languages": ["fa", "ps", "en"],
        "language": "fa",
    },
    {
        "email": "interpreter@demo.test",
        "display_name": "Dawood Rahimi",
        "roles": [Role.INTERPRETER],
        "organisation": "Demo Partner Kabul",
        "country_of_origin": "AF",
        "country_of_residence": "AF",
        "time_zone": "Asia/Kabul",
        # The languages an interpreter works in are the languages they speak.
        "languages": ["ps", "fa", "prs", "en"],
        "language": "fa",
    },
    {
        "email": "author@demo.test",
        "display_name": "Jonas Weber",
        "roles": [Role.AUTHOR],
        "time_zone": "Europe/Berlin",
        "languages": ["de", "en"],
    },
    {
        "email": "admin@demo.test",
        "display_name": "Platform Admin",
        "roles": [Role.ADMIN],
        "time_zone": "UTC",
        "languages": ["en"],
    },
]


def _ensure_totp(user: User) -> None:
    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        Authenticator.objects.create(
            user=user,
            type=Authenticator.Type.TOTP,
            data={"secret": get_mfa_adapter().encrypt(DEMO_TOTP_SECRET)},
        )
    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.RECOVERY_CODES).exists():
        RecoveryCodes.activate(user)


@transaction.atomic
def seed(*, write: Callable[[str], None]) -> None:
    organisations = {}
    for spec in ORGANISATIONS:
        org = Organisation.objects.filter(name=spec["name"]).first()
        organisations[spec["name"]] = org or services.organisation_create(**spec)
    for spec in USERS:
        spec = dict(spec)
        counsellor = spec.pop("counsellor", None)
        org_name = spec.pop("organisation", None)
        user = User.objects.filter(email=spec["email"]).first()
        if user is None:
            user = services.user_create(
                password=DEMO_PASSWORD,
                organisation=organisations[org_name] if org_name else None,
                email_verified=True,
                phone_verified=True,
                **spec,
            )
            write(f"created {user.email}")
        if counsellor:
            services.counsellor_profile_update(user=user, accepting_new_clients=True, **counsellor)
        if user.role_set & STAFF_ROLES:
            _ensure_totp(user)
    write(f"demo accounts ready; password {DEMO_PASSWORD!r}; staff TOTP secret {DEMO_TOTP_SECRET}")
