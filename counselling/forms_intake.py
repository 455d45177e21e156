"""Forms of the public information request pages and of their triage and answer pages."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.reference import country_name
from counselling.models import InformationRequest
from counselling.services.intake import ANSWER_MAX_CHARS, QUESTION_MAX_CHARS, form_token_new


class ContactFieldsMixin(forms.Form):
    """How to reach the sender: not at all (they check with the reference), phone or e-mail.
    The service checks that the contact fits the method and says what is wrong."""

    contact_method = forms.ChoiceField(
        label=_("Do you want an answer by phone or e-mail?"),
        choices=InformationRequest.Contact.choices,
        initial=InformationRequest.Contact.NONE,
        widget=forms.RadioSelect,
    )
    contact = forms.CharField(
        label=_("Your phone number or e-mail address"),
        required=False,
        max_length=254,
        help_text=_(
            "Only if you chose phone or e-mail. A phone number starts with + and the country code. "
            "Only the team that handles your message sees it."
        ),
        widget=forms.TextInput(attrs={"dir": "ltr", "autocomplete": "off", "inputmode": "email"}),
    )
    # Chosen when the form is shown: sending the same form twice stores it once.
    form_token = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("form_token", form_token_new())


class InformationRequestForm(ContactFieldsMixin):
    country = forms.ChoiceField(label=_("Which country is your question about?"))
    topic = forms.ChoiceField(label=_("Topic"), choices=InformationRequest.Topic.choices)
    # No max_length here: the service checks it and says what the limit is; the browser stops
    # typing at the limit.
    question = forms.CharField(
        label=_("Your question"),
        help_text=_("At most %(n)d characters. Do not write your name or address here.")
        % {"n": QUESTION_MAX_CHARS},
        widget=forms.Textarea(attrs={"rows": 6, "maxlength": QUESTION_MAX_CHARS, "dir": "auto"}),
        error_messages={"required": _("Write your question.")},
    )

    field_order = ["country", "topic", "question", "contact_method", "contact", "form_token"]

    def __init__(self, *args: Any, countries: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        named = sorted(((c, country_name(c)) for c in countries), key=lambda c: c[1].lower())
        self.fields["country"].choices = [("", _("Choose a country")), *named]


class ReferenceForm(forms.Form):
    reference = forms.CharField(
        label=_("Your reference code"),
        max_length=32,
        help_text=_("For example K7M2-QX9P-4HTD. Small or capital letters, with or without dashes."),
        widget=forms.TextInput(
            attrs={"dir": "ltr", "autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
        error_messages={"required": _("Write your reference code.")},
    )


class StatusFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any status")), *InformationRequest.Status.choices]
    )
    order = forms.ChoiceField(
        label=_("Order"),
        required=False,
        choices=[("newest", _("Newest")), ("oldest", _("Oldest"))],
    )

    def filters(self) -> dict[str, str]:
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {name: "" if name in self.errors else data.get(name) or "" for name in ("status", "order")}


class AssignForm(forms.Form):
    counsellor = forms.TypedChoiceField(
        label=_("Counsellor"),
        coerce=int,
        help_text=_("Only counsellors of your organisation who serve this country and speak the language."),
        error_messages={"required": _("Choose a counsellor.")},
    )

    def __init__(self, *args: Any, counsellors: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["counsellor"].choices = [("", _("Choose a counsellor")), *counsellors]


class AnswerForm(forms.Form):
    answer = forms.CharField(
        label=_("Your answer"),
        help_text=_(
            "At most %(n)d characters. Anyone who has the reference code can read this answer: "
            "write no names, addresses or other personal details."
        )
        % {"n": ANSWER_MAX_CHARS},
        widget=forms.Textarea(attrs={"rows": 8, "maxlength": ANSWER_MAX_CHARS, "dir": "auto"}),
        error_messages={"required": _("Write your answer.")},
    )
