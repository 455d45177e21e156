"""Forms of the group-session pages. The host types a date and time in their own time zone; the
form turns it into an instant (a time the clocks skip is refused, not silently moved)."""

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from accounts.reference import LANGUAGE_CODES, Topic, country_choices, language_name
from booking.models import GroupSession
from booking.services.groups import GROUP_DURATIONS, MAX_CAPACITY
from booking.slots import local_instant


def _duration_label(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    if not hours:
        return str(_("%(m)d minutes") % {"m": minutes})
    if not rest:
        return str(_("%(h)d h") % {"h": hours})
    return str(_("%(h)d h %(m)d min") % {"h": hours, "m": rest})


class GroupSessionForm(forms.Form):
    """Offer a session (all fields) or change one (`editing`: the subject stays as announced)."""

    kind = forms.ChoiceField(
        label=_("Kind"), choices=GroupSession.Kind.choices, widget=forms.RadioSelect, initial="information"
    )
    title = forms.CharField(label=_("Title"), max_length=120)
    description = forms.CharField(
        label=_("What it is about (you can leave this empty)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    topic = forms.ChoiceField(label=_("Topic"), choices=Topic.choices)
    language = forms.ChoiceField(label=_("Language"))
    country = forms.ChoiceField(label=_("For people from"), required=False)
    date = forms.DateField(
        label=_("Date"),
        input_formats=["%Y-%m-%d"],
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
    )
    time = forms.TimeField(
        label=_("Start time"),
        input_formats=["%H:%M", "%H:%M:%S"],
        widget=forms.TimeInput(format="%H:%M", attrs={"type": "time", "step": "300"}),
    )
    duration = forms.TypedChoiceField(
        label=_("Length"), coerce=int, choices=[(m, _duration_label(m)) for m in GROUP_DURATIONS], initial=60
    )
    capacity = forms.IntegerField(label=_("Places"), min_value=1, max_value=MAX_CAPACITY, initial=20)
    location = forms.CharField(
        label=_("Where: a meeting link or an address (only registered people see it)"),
        required=False,
        max_length=300,
    )

    SUBJECT_FIELDS = ("kind", "topic", "language", "country")

    def __init__(
        self, *args: Any, zone: ZoneInfo, languages: list[str], editing: bool = False, **kwargs: Any
    ):
        super().__init__(*args, **kwargs)
        self.zone = zone
        # The host's own languages first, then every other.
        others = sorted(set(LANGUAGE_CODES) - set(languages), key=lambda c: language_name(c).lower())
        self.fields["language"].choices = [(c, language_name(c)) for c in [*languages, *others]]
        self.fields["country"].choices = [("", _("Everyone")), *country_choices()]
        if editing:
            for name in self.SUBJECT_FIELDS:
                del self.fields[name]

    @classmethod
    def initial_for(cls, session: GroupSession, zone: ZoneInfo) -> dict[str, Any]:
        local = session.start_at.astimezone(zone)
        return {
            "title": session.title,
            "description": session.description,
            "location": session.location,
            "date": local.date(),
            "time": local.time().replace(second=0, microsecond=0),
            "duration": session.duration_minutes,
            "capacity": session.capacity,
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        day, wall = data.get("date"), data.get("time")
        if day is not None and wall is not None:
            start_at = local_instant(day, wall, self.zone)
            if start_at is None:
                raise ValidationError(
                    {"time": _("The clocks change at this time on that day; choose another time.")}
                )
            data["start_at"] = start_at
        return data

    @property
    def start_at(self) -> datetime:
        return self.cleaned_data["start_at"]  # type: ignore[no-any-return]


class GroupCancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Why do you cancel? (everyone registered is told)"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Please write why you cancel this session.")},
    )


class GroupFilterForm(forms.Form):
    language = forms.ChoiceField(label=_("Language"), required=False)
    topic = forms.ChoiceField(
        label=_("Topic"), required=False, choices=[("", _("Any topic")), *Topic.choices]
    )

    def __init__(self, *args: Any, languages: list[str], **kwargs: Any):
        super().__init__(*args, **kwargs)
        named = sorted(((c, language_name(c)) for c in set(languages)), key=lambda c: c[1].lower())
        self.fields["language"].choices = [("", _("Any language")), *named]

    def filters(self) -> dict[str, str]:
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {name: "" if name in self.errors else data.get(name) or "" for name in ("language", "topic")}
