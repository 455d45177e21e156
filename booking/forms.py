"""Forms of the booking pages: find a counsellor, confirm a time, cancel."""

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.reference import LANGUAGE_CODES, Topic, country_codes, country_name, language_name
from booking.models import Modality


def _named(codes: Iterable[str], name: Any) -> list[tuple[str, str]]:
    return sorted(((c, name(c)) for c in set(codes) if c), key=lambda c: c[1].lower())


class DirectoryFilterForm(forms.Form):
    """GET filters of the directory; every field may be left at "any"."""

    language = forms.ChoiceField(label=_("Language"), required=False)
    country = forms.ChoiceField(label=_("Country"), required=False)
    topic = forms.ChoiceField(
        label=_("Topic"), required=False, choices=[("", _("Any topic")), *Topic.choices]
    )
    modality = forms.ChoiceField(
        label=_("Talk by"), required=False, choices=[("", _("Any way")), *Modality.choices]
    )

    FIELDS = ("language", "country", "topic", "modality")

    def __init__(self, *args: Any, languages: Iterable[str], countries: Iterable[str], **kwargs: Any):
        super().__init__(*args, **kwargs)
        # Only what counsellors offer, so that no choice leads to an empty list; plus what is
        # asked for (the person's own language, or a shared link), so that it is kept.
        asked = self.data if self.is_bound else self.initial
        languages = {*languages, *({asked.get("language")} & set(LANGUAGE_CODES))}
        countries = {*countries, *({asked.get("country")} & country_codes())}
        self.fields["language"].choices = [("", _("Any language")), *_named(languages, language_name)]
        self.fields["country"].choices = [("", _("Any country")), *_named(countries, country_name)]

    def filters(self) -> dict[str, str]:
        """The valid filters; a value that is not in the lists counts as "any"."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {name: "" if name in self.errors else data.get(name) or "" for name in self.FIELDS}


class BookForm(forms.Form):
    """Confirm one time with one counsellor. The key makes a double tap book once."""

    modality = forms.ChoiceField(
        label=_("How do you want to talk?"), choices=Modality.choices, widget=forms.RadioSelect
    )
    topic = forms.ChoiceField(label=_("What is it about?"), widget=forms.RadioSelect)
    language = forms.ChoiceField(label=_("Language"), widget=forms.RadioSelect)
    interpreter = forms.BooleanField(label=_("I need an interpreter"), required=False)
    note = forms.CharField(
        label=_("Message for the counsellor (you can leave this empty)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    idempotency_key = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, topics: Sequence[str], languages: Sequence[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["topic"].choices = [(t, Topic(t).label) for t in topics]
        self.fields["language"].choices = [(code, language_name(code)) for code in languages]
        if not self.is_bound:
            self.initial.setdefault("idempotency_key", uuid.uuid4())


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Why? (you can leave this empty)"),
        required=False,
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class MoveForm(forms.Form):
    """Confirm a new time for an appointment. The counsellor says why (the client is told);
    a client may."""

    reason = forms.CharField(
        label=_("Why a new time? (you can leave this empty)"),
        required=False,
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, reason_required: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if reason_required:
            field = self.fields["reason"]
            field.required = True
            field.label = _("Why a new time? (the client is told)")
            field.error_messages["required"] = _("Please write why the appointment needs a new time.")
