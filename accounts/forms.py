from typing import Any

from allauth.account.forms import LoginForm as AllauthLoginForm
from allauth.account.forms import SignupForm as AllauthSignupForm
from allauth.account.forms import VerifyPhoneForm as AllauthVerifyPhoneForm
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.phone import normalise_phone
from accounts.reference import Topic, country_choices, language_choices, time_zones


def _time_zone_field(**kwargs: Any) -> forms.ChoiceField:
    return forms.ChoiceField(
        label=_("Time zone"),
        choices=[(z, z.replace("_", " ")) for z in time_zones()],
        **kwargs,
    )


class LoginForm(AllauthLoginForm):
    """Sign in with a phone number (typed any usual way) or an e-mail address."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["login"].label = _("Phone number or e-mail address")
        self.fields["login"].widget.attrs.update({"autocomplete": "username", "dir": "ltr"})
        self.fields["login"].widget.attrs.pop("placeholder", None)
        self.fields["password"].widget.attrs.pop("placeholder", None)

    def clean_login(self) -> str:
        login = super().clean_login()
        if "@" in login:
            return login
        try:
            return normalise_phone(login)
        except ValidationError:
            # Not a phone number we understand: allauth answers "wrong login or password".
            return login


class VerifyPhoneForm(AllauthVerifyPhoneForm):
    """The texted code: six digits, so phones show the number pad and offer the SMS code."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["code"].label = _("The 6-digit code we sent you by SMS")
        self.fields["code"].widget.attrs.update(
            {"inputmode": "numeric", "pattern": "[0-9 ]*", "maxlength": "8", "dir": "ltr"}
        )
        self.fields["code"].widget.attrs.pop("placeholder", None)


class SignupForm(AllauthSignupForm):
    """Sign-up by phone number or e-mail address (one of the two is enough)."""

    field_order = ["display_name", "phone", "email", "password1", "password2", "time_zone"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["display_name"] = forms.CharField(
            label=_("Your name"),
            max_length=80,
            help_text=_("The name your counsellor and teachers will see."),
            widget=forms.TextInput(attrs={"autocomplete": "name"}),
        )
        self.fields["email"].label = _("E-mail address (optional)")
        self.fields["email"].help_text = _("You can use your phone number instead.")
        self.fields["phone"].label = _("Phone number (optional if you give an e-mail address)")
        # Filled in by the browser (frontend/js/app.js); editable later in the profile.
        self.fields["time_zone"] = _time_zone_field(required=False, widget=forms.HiddenInput)
        for name in self.field_order:
            if name in self.fields:
                self.fields[name].widget.attrs.pop("placeholder", None)
        self.order_fields(self.field_order)

    def try_save(self, request: HttpRequest) -> tuple[User | None, HttpResponse | None]:
        try:
            with transaction.atomic():
                return super().try_save(request)
        except IntegrityError:
            # The same phone or e-mail signed up a moment ago (a double tap, two devices):
            # answer as for any taken number, never with an error page.
            self.account_already_exists = True
            return super().try_save(request)

    def clean_time_zone(self) -> str:
        return self.cleaned_data.get("time_zone") or "UTC"

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        has_contact = cleaned.get("phone") or cleaned.get("email")
        if not has_contact and "phone" not in self.errors and "email" not in self.errors:
            raise forms.ValidationError(
                _("Give a phone number or an e-mail address, so that you can sign in again."),
                code="contact_required",
            )
        return cleaned


class ProfileForm(forms.Form):
    display_name = forms.CharField(label=_("Your name"), max_length=80)
    language_1 = forms.ChoiceField(label=_("Language you speak best"))
    language_2 = forms.ChoiceField(label=_("Another language you speak"), required=False)
    language_3 = forms.ChoiceField(label=_("Another language you speak"), required=False)
    country_of_origin = forms.ChoiceField(label=_("Country you come from"), required=False)
    country_of_residence = forms.ChoiceField(label=_("Country where you live now"), required=False)
    time_zone = forms.ChoiceField(label=_("Time zone"))
    language = forms.ChoiceField(label=_("Language of this website"), choices=settings.LANGUAGES)
    data_saver = forms.BooleanField(
        label=_("Save data: load pictures and videos only when I tap them"), required=False
    )
    read_receipts = forms.BooleanField(label=_("Show others when I have read their messages"), required=False)

    LANGUAGE_FIELDS = ("language_1", "language_2", "language_3")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        languages = [("", "—"), *language_choices()]
        for name in self.LANGUAGE_FIELDS:
            self.fields[name].choices = languages
        countries = [("", "—"), *country_choices()]
        self.fields["country_of_origin"].choices = countries
        self.fields["country_of_residence"].choices = countries
        self.fields["time_zone"].choices = [(z, z.replace("_", " ")) for z in time_zones()]

    @classmethod
    def initial_for(cls, user: User, language_codes: list[str]) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "display_name": user.display_name,
            "country_of_origin": user.country_of_origin,
            "country_of_residence": user.country_of_residence,
            "time_zone": user.time_zone,
            "language": user.language,
            "data_saver": user.data_saver,
            "read_receipts": user.read_receipts,
        }
        for name, code in zip(cls.LANGUAGE_FIELDS, language_codes, strict=False):
            initial[name] = code
        return initial

    def language_codes(self) -> list[str]:
        return [self.cleaned_data[n] for n in self.LANGUAGE_FIELDS if self.cleaned_data.get(n)]


class CounsellorProfileForm(forms.Form):
    bio = forms.CharField(
        label=_("Short introduction"),
        max_length=600,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Up to 600 characters. Migrants read this before they choose you."),
    )
    countries = forms.MultipleChoiceField(
        label=_("Countries you serve"),
        help_text=_("The countries of origin whose returnees and migrants you advise."),
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    topics = forms.MultipleChoiceField(
        label=_("Topics"), choices=Topic.choices, widget=forms.CheckboxSelectMultiple
    )
    accepting_new_clients = forms.BooleanField(label=_("I am accepting new clients"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["countries"].choices = country_choices()
