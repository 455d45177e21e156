"""allauth hooks: phone numbers stored on the user, SMS through our pluggable backend."""

import time
from typing import Any

from allauth.account import app_settings as account_settings
from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.internal.flows.login import get_authentication_records
from allauth.core import context
from allauth.mfa.models import Authenticator
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.forms import Form
from django.http import HttpRequest
from django.utils import translation
from django.utils.translation import gettext as _

from accounts.models import Role, User
from accounts.phone import PhoneNumberField, normalise_phone
from accounts.services import user_roles_set
from accounts.sms import get_sms_backend


class AccountAdapter(DefaultAccountAdapter):
    def phone_form_field(self, **kwargs: Any) -> PhoneNumberField:
        kwargs.pop("label", None)
        return PhoneNumberField(**kwargs)

    def clean_phone(self, phone: str) -> str:
        return normalise_phone(phone)

    @transaction.atomic
    def save_user(self, request: HttpRequest, user: User, form: Form, commit: bool = True) -> User:  # type: ignore[override]
        # The phone number goes in before the first save: the database refuses an account
        # with neither e-mail nor phone.
        data = form.cleaned_data
        super().save_user(request, user, form, commit=False)
        if not user.email:
            user.email = None
        user.display_name = data.get("display_name", "")
        user.time_zone = data.get("time_zone") or "UTC"
        user.language = translation.get_language() or "en"
        if commit:
            user.save()
            user_roles_set(user=user, roles=[Role.MIGRANT])
        return user

    def is_reauthentication_required(self, *, app: str, **kwargs: Any) -> bool:
        # Staff are sent to set up two-step sign-in right after they sign in; asking for the
        # password a second time then is friction without protection. Adding a *further*
        # authenticator, or any other sensitive change, still asks again.
        request = context.request
        if app == "allauth.mfa" and request is not None and request.user.is_authenticated:
            user = request.user
            if not Authenticator.objects.filter(user=user).exists():
                records = get_authentication_records(request, user)
                if records and time.time() - records[-1]["at"] < account_settings.REAUTHENTICATION_TIMEOUT:
                    return False
        return super().is_reauthentication_required(app=app, **kwargs)

    def set_phone(self, user: AbstractBaseUser, phone: str, verified: bool) -> None:
        user.phone = phone  # type: ignore[attr-defined]
        user.phone_verified = verified  # type: ignore[attr-defined]
        if user.pk:
            user.save(update_fields=["phone", "phone_verified"])

    def get_phone(self, user: AbstractBaseUser) -> tuple[str, bool] | None:
        phone = getattr(user, "phone", None)
        return (phone, user.phone_verified) if phone else None  # type: ignore[attr-defined]

    def set_phone_verified(self, user: AbstractBaseUser, phone: str) -> None:
        self.set_phone(user, phone, True)

    def get_user_by_phone(self, phone: str) -> User | None:
        return User.objects.filter(phone=phone).order_by("-phone_verified").first()

    def send_verification_code_sms(
        self, user: AbstractBaseUser, phone: str, code: str, **kwargs: Any
    ) -> None:
        language = getattr(user, "language", None) or translation.get_language()
        with translation.override(language):
            body = _("Your Passage code is %(code)s. It is valid for 15 minutes.") % {"code": code}
        get_sms_backend().send(to=phone, body=body)

    def send_unknown_account_sms(self, phone: str, **kwargs: Any) -> None:
        body = _("Someone tried to sign in to Passage with this number, but it has no account.")
        get_sms_backend().send(to=phone, body=body)

    def send_account_already_exists_sms(self, phone: str) -> None:
        body = _(
            "Someone tried to create a Passage account with this number, which already has one. "
            "You can sign in, or reset your password."
        )
        get_sms_backend().send(to=phone, body=body)
