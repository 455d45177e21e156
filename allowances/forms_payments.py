"""Forms of the disbursement pages."""

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from allowances.models import Period
from allowances.providers import provider_choices
from allowances.providers.payout_file import MAX_RESULT_BYTES


class BatchPrepareForm(forms.Form):
    period = forms.ModelChoiceField(label=_("Period"), queryset=Period.objects.none())
    provider = forms.ChoiceField(label=_("How to pay"), choices=())

    def __init__(self, *args: object, periods: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["period"].queryset = periods  # type: ignore[attr-defined]
        self.fields["period"].label_from_instance = lambda p: (  # type: ignore[attr-defined]
            f"{p.programme.name}: {p.starts_on:%Y-%m-%d} to {p.ends_on:%Y-%m-%d}"
        )
        self.fields["provider"].choices = provider_choices()  # type: ignore[attr-defined]


class ApproveForm(forms.Form):
    acknowledge_duplicates = forms.BooleanField(
        label=_("I have checked the people who share a phone number or wallet, and approve anyway."),
        required=False,
    )


class RejectForm(forms.Form):
    reason = forms.CharField(label=_("Why"), max_length=300, widget=forms.Textarea(attrs={"rows": 3}))


class ResultsForm(forms.Form):
    file = forms.FileField(label=_("The operator's result file (CSV)"))

    def clean_file(self) -> object:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_RESULT_BYTES:
            raise forms.ValidationError(_("This file is too large (at most 2 MB)."))
        return upload


class ReissueForm(forms.Form):
    # Chosen when the page is drawn: a double tap sends the same key and re-issues once.
    idempotency_key = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)
