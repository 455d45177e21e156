"""Forms for programmes and their rules. Amounts are typed in major units ("12.50") and turned
into integer minor units with the currency's own number of decimals (never a float)."""

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from allowances.models import Method, Programme
from allowances.money import MAX_MINOR, amount_to_minor, currency_check, major_text
from allowances.services.programmes import MAX_LIFETIME_MINOR

AMOUNTS = {
    "amount_per_period": ("amount_per_period_minor", MAX_MINOR),
    "cap_per_period": ("cap_per_period_minor", MAX_MINOR),
    "lifetime_cap": ("lifetime_cap_minor", MAX_LIFETIME_MINOR),
}


def _amount_field(label: str, help_text: str) -> forms.CharField:
    return forms.CharField(
        label=label,
        help_text=help_text,
        max_length=24,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )


class ProgrammeForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    funding_source = forms.CharField(
        label=_("Funding source"), max_length=200, help_text=_("The donor or fund.")
    )
    grant_code = forms.CharField(label=_("Grant code"), max_length=64)
    currency = forms.CharField(
        label=_("Currency"),
        max_length=3,
        min_length=3,
        help_text=_("Three letters (ISO 4217), such as EUR, USD, NGN or AFN."),
        widget=forms.TextInput(attrs={"autocapitalize": "characters", "autocomplete": "off", "size": 4}),
    )
    period = forms.ChoiceField(
        label=_("How often"), choices=Programme.Period.choices, widget=forms.RadioSelect
    )
    amount_per_period = _amount_field(
        _("Amount per period"), _("In the currency above, such as 10 or 12.50.")
    )
    cap_per_period = _amount_field(_("Most per person per period"), _("At least the amount per period."))
    lifetime_cap = _amount_field(_("Most per person in all"), _("At least the most per period."))
    methods = forms.MultipleChoiceField(
        label=_("Ways of paying"), choices=Method.choices, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, programme: Programme | None = None, **kwargs: Any) -> None:
        if programme is not None and not args and "data" not in kwargs:
            kwargs["initial"] = {
                "name": programme.name,
                "funding_source": programme.funding_source,
                "grant_code": programme.grant_code,
                "currency": programme.currency,
                "period": programme.period,
                "amount_per_period": major_text(programme.amount_per_period_minor, programme.currency),
                "cap_per_period": major_text(programme.cap_per_period_minor, programme.currency),
                "lifetime_cap": major_text(programme.lifetime_cap_minor, programme.currency),
                "methods": programme.methods,
            }
        super().__init__(*args, **kwargs)

    def clean_currency(self) -> str:
        return currency_check(self.cleaned_data["currency"])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        currency = cleaned.get("currency")
        if currency:
            for name, (_target, maximum) in AMOUNTS.items():
                if name in cleaned:
                    try:
                        cleaned[name] = amount_to_minor(cleaned[name], currency=currency, maximum=maximum)
                    except ValidationError as error:
                        self.add_error(name, error)
        return cleaned

    def values(self) -> dict[str, Any]:
        """Keyword arguments for programme_create / programme_update."""
        data = self.cleaned_data
        values = {name: data[name] for name in ("name", "funding_source", "grant_code", "currency", "period")}
        values["methods"] = list(data["methods"])
        for name, (target, _maximum) in AMOUNTS.items():
            values[target] = data[name]
        return values


# Form field -> service field: amounts shown in major units, stored in minor units.
FIELD_FOR = {
    "amount_per_period_minor": "amount_per_period",
    "cap_per_period_minor": "cap_per_period",
    "lifetime_cap_minor": "lifetime_cap",
}


class RuleForm(forms.Form):
    min_lessons_completed = forms.IntegerField(
        label=_("Lessons completed in the period, at least"), min_value=0, max_value=366, initial=0
    )
    min_active_days = forms.IntegerField(
        label=_("Days with learning in the period, at least"), min_value=0, max_value=366, initial=0
    )
    min_sessions_attended = forms.IntegerField(
        label=_("Counselling sessions attended in the period, at least"),
        min_value=0,
        max_value=366,
        initial=0,
    )
    any_activity = forms.TypedChoiceField(
        label=_("Which of these are needed"),
        choices=[("1", _("One of them is enough")), ("0", _("All of them"))],
        coerce=lambda value: value == "1",
        widget=forms.RadioSelect,
        initial="1",
        help_text=_("A number of 0 asks for nothing."),
    )
    require_consent = forms.BooleanField(
        label=_("The person has given consent"), required=False, initial=True
    )
    require_connectivity_need = forms.BooleanField(
        label=_("The person's newest questionnaire says they need help paying for a connection"),
        required=False,
    )

    def values(self) -> dict[str, Any]:
        return dict(self.cleaned_data)
