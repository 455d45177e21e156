"""Interpreters for tests: staff of an organisation, with TOTP, and the languages they work in.
(`tests.factories.make_user` gives an organisation and TOTP to counsellors and coordinators only.)"""

from allauth.mfa.adapter import get_adapter as get_mfa_adapter
from allauth.mfa.models import Authenticator

from accounts.models import Organisation, Role, User
from tests.factories import TOTP_SECRET, OrganisationFactory, make_user


def make_interpreter(
    *, organisation: Organisation | None = None, languages: tuple[str, ...] = ("ps", "fa"), **fields: object
) -> User:
    interpreter = make_user(
        Role.INTERPRETER,
        organisation=organisation or OrganisationFactory(),
        languages=list(languages),
        mfa=False,
        **fields,
    )
    Authenticator.objects.create(
        user=interpreter,
        type=Authenticator.Type.TOTP,
        data={"secret": get_mfa_adapter().encrypt(TOTP_SECRET)},
    )
    return interpreter
