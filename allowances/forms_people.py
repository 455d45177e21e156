"""Forms of the people side: the digital-needs questionnaire and joining a programme."""

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from allowances.models import Connection, Device, Sex
from allowances.selectors.people import currency_label, currency_precision, minor_units_parse
from allowances.services.people import OLDEST_BIRTH_YEAR

YES_NO = [("yes", _("Yes")), ("no", _("No"))]


class AssessmentForm(forms.Form):
    devices = forms.MultipleChoiceField(
        label=_("Which of these do you have?"),
        help_text=_("Choose all that you have."),
        choices=Device.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one answer.")},
    )
    connection = forms.ChoiceField(
        label=_("How do you usually go online?"),
        choices=Connection.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose one answer.")},
    )
    monthly_data_cost = forms.CharField(
        label=_("How much do you pay for internet on your phone each month?"),
        help_text=_("You can leave this empty."),
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off", "dir": "ltr"}),
    )
    currency = forms.ChoiceField(label=_("Currency"), choices=())
    needs_tech_support = forms.ChoiceField(
        label=_("Would you like help to use your phone or computer for learning?"),
        choices=YES_NO,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose one answer.")},
    )
    needs_connectivity_support = forms.ChoiceField(
        label=_("Would you like help to pay for internet or phone credit?"),
        choices=YES_NO,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose one answer.")},
    )

    def __init__(self, *args: Any, currencies: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["currency"].choices = [(code, currency_label(code)) for code in currencies]
        if not self.is_bound and currencies:
            self.fields["currency"].initial = currencies[0]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        text = (data.get("monthly_data_cost") or "").strip()
        currency = data.get("currency")
        data["monthly_data_cost_minor"] = None
        if text and currency:
            try:
                data["monthly_data_cost_minor"] = minor_units_parse(text, currency)
            except ValueError:
                precision = currency_precision(currency)
                self.add_error(
                    "monthly_data_cost",
                    _("Write an amount like %(example)s.")
                    % {"example": "250" if precision == 0 else "12." + "5" * precision},
                )
        return data


class ConsentForm(forms.Form):
    agree = forms.BooleanField(
        label=_("I want to take part, and my learning and counselling sessions may be counted for it."),
        error_messages={"required": _("Tick the box to take part.")},
    )
    sex = forms.ChoiceField(
        label=_("Sex (you can leave this empty)"),
        choices=[("", _("I would rather not answer")), *Sex.choices],
        required=False,
    )
    birth_year = forms.IntegerField(
        label=_("Year of birth (you can leave this empty)"),
        required=False,
        min_value=OLDEST_BIRTH_YEAR,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "autocomplete": "bday-year", "dir": "ltr"}),
    )
    share_demographics = forms.BooleanField(
        label=_("My sex, age and nationality may be counted in reports (never my name)"),
        help_text=_("Reports only show numbers of people, and never groups smaller than 5."),
        required=False,
    )

    def clean_birth_year(self) -> int | None:
        year: int | None = self.cleaned_data.get("birth_year")
        if year is not None and year > timezone.now().year:
            raise forms.ValidationError(_("Enter a year that has already begun."))
        return year
