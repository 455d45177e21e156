"""Forms of the coordinators' pages: the period and filters of the organisation's appointments
and utilisation, the clients search, and giving a client another counsellor."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.reference import country_name, language_name
from booking.models import Appointment

THIS_WEEK, NEXT_4_WEEKS, LAST_4_WEEKS, DATES = "this_week", "next_4_weeks", "last_4_weeks", "dates"
PERIODS = [
    (THIS_WEEK, _("This week")),
    (NEXT_4_WEEKS, _("Next 4 weeks")),
    (LAST_4_WEEKS, _("Last 4 weeks")),
    (DATES, _("Dates I choose")),
]
# A period longer than a year says little and costs much (utilisation walks every day).
MAX_DAYS = 366
# Dates further from today than this are refused (and cannot overflow a datetime).
REACH = timedelta(days=3650)


@dataclass(frozen=True)
class Period:
    """Whole days, `first` to `last` included, in the viewer's zone."""

    first: date
    last: date

    def bounds(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """[start, end) of the period, as aware instants."""
        start = datetime.combine(self.first, time(0), tzinfo=zone)
        end = datetime.combine(self.last + timedelta(days=1), time(0), tzinfo=zone)
        return start, end


def period_for(choice: str, today: date) -> Period:
    if choice == THIS_WEEK:
        monday = today - timedelta(days=today.weekday())
        return Period(monday, monday + timedelta(days=6))
    if choice == LAST_4_WEEKS:
        return Period(today - timedelta(days=27), today)
    return Period(today, today + timedelta(days=27))


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%d")


class PeriodForm(forms.Form):
    """A period from the list, or two dates (which win when given)."""

    period = forms.ChoiceField(label=_("Period"), required=False, choices=PERIODS)
    start = forms.DateField(
        label=pgettext_lazy("start of a time range", "From"), required=False, widget=DateInput()
    )
    end = forms.DateField(
        label=pgettext_lazy("end of a time range", "To"), required=False, widget=DateInput()
    )

    PERIOD_FIELDS = ("period", "start", "end")

    def __init__(self, *args: Any, today: date, default: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        self.default = default
        self.fields["period"].initial = default
        if self.is_bound:
            # The list shows what is in force: the dates when given (they win), else the default
            # when a link names no period.
            data = self.data.copy()
            if data.get("start") or data.get("end"):
                data["period"] = DATES
            elif not data.get("period"):
                data["period"] = default
            self.data = data

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start is None and end is None:
            if data.get("period") == DATES:
                self.add_error("start", _("Choose the first and the last day."))
            return data
        start, end = start or end, end or start
        assert start is not None and end is not None  # noqa: S101 - one of them was given
        if abs(start - self.today) > REACH or abs(end - self.today) > REACH:
            self.add_error("start", _("Choose dates within ten years of today."))
        elif end < start:
            self.add_error("end", _("The last day must not be before the first day."))
        elif (end - start).days >= MAX_DAYS:
            self.add_error("end", _("Choose at most %(n)d days.") % {"n": MAX_DAYS})
        else:
            data.update(period=DATES, start=start, end=end)
        return data

    # Fields shown behind "More choices" (open when one of them is used).
    MORE_FIELDS: tuple[str, ...] = ("start", "end")

    def more_used(self) -> bool:
        """Whether a field behind "More choices" has a value or an error (then it is shown open)."""
        if not self.is_bound:
            return False
        return any(self.data.get(name) for name in self.MORE_FIELDS) or any(
            name in self.errors for name in self.MORE_FIELDS
        )

    def chosen_period(self) -> Period:
        """The period asked for; the default one when nothing valid was asked."""
        if not self.is_bound:
            return period_for(self.default, self.today)
        self.is_valid()
        if any(name in self.errors for name in self.PERIOD_FIELDS):
            return period_for(self.default, self.today)
        data = self.cleaned_data
        if data.get("period") == DATES and data.get("start"):
            return Period(data["start"], data["end"])
        return period_for(data.get("period") or self.default, self.today)

    def query(self) -> dict[str, str]:
        """The valid choices as GET parameters (for the pages' links)."""
        if not self.is_bound:
            return {"period": self.default}
        self.is_valid()
        if self.errors.keys() & set(self.PERIOD_FIELDS):
            return {"period": self.default}
        data = self.cleaned_data
        if data.get("period") == DATES and data.get("start"):
            return {"start": data["start"].isoformat(), "end": data["end"].isoformat()}
        return {"period": data.get("period") or self.default}


def _named(codes: Sequence[str], name: Any) -> list[tuple[str, str]]:
    return sorted(((code, name(code)) for code in codes), key=lambda c: c[1].lower())


class AppointmentFilterForm(PeriodForm):
    """The organisation's appointments: period, and any of country, language, counsellor, status."""

    country = forms.ChoiceField(label=_("Client's country of origin"), required=False)
    language = forms.ChoiceField(label=_("Language"), required=False)
    counsellor = forms.TypedChoiceField(label=_("Counsellor"), required=False, coerce=int, empty_value=None)
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any status")), *Appointment.Status.choices]
    )

    FILTERS = ("country", "language", "counsellor", "status")
    MORE_FIELDS = ("start", "end", *FILTERS)

    def __init__(
        self,
        *args: Any,
        countries: Sequence[str],
        languages: Sequence[str],
        counsellors: Sequence[tuple[int, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = [("", _("Any country")), *_named(countries, country_name)]
        self.fields["language"].choices = [("", _("Any language")), *_named(languages, language_name)]
        self.fields["counsellor"].choices = [("", _("Any counsellor")), *counsellors]

    def filters(self) -> dict[str, Any]:
        """The valid filters, as the selector takes them; a value not in the lists counts as "any"."""
        if not self.is_bound:
            return {"country": "", "language": "", "counsellor_id": None, "status": ""}
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        values = {name: None if name in self.errors else data.get(name) for name in self.FILTERS}
        return {
            "country": values["country"] or "",
            "language": values["language"] or "",
            "counsellor_id": values["counsellor"],
            "status": values["status"] or "",
        }

    def query(self) -> dict[str, str]:
        filters = self.filters()
        chosen = {
            "country": filters["country"],
            "language": filters["language"],
            "counsellor": str(filters["counsellor_id"] or ""),
            "status": filters["status"],
        }
        return {**super().query(), **{k: v for k, v in chosen.items() if v}}


class ClientSearchForm(forms.Form):
    q = forms.CharField(label=_("Name"), required=False, max_length=80)
    counsellor = forms.TypedChoiceField(label=_("Counsellor"), required=False, coerce=int, empty_value=None)

    def __init__(self, *args: Any, counsellors: Sequence[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["counsellor"].choices = [("", _("Any counsellor")), *counsellors]

    def filters(self) -> dict[str, Any]:
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {
            "search": "" if "q" in self.errors else (data.get("q") or "").strip(),
            "counsellor_id": None if "counsellor" in self.errors else data.get("counsellor"),
        }


class ReassignForm(forms.Form):
    """Give a client another counsellor of the organisation. The service checks the rest."""

    from_counsellor = forms.TypedChoiceField(label=_("Counsellor now"), coerce=int)
    to_counsellor = forms.TypedChoiceField(label=_("New counsellor"), coerce=int)
    reason = forms.CharField(
        label=_("Why?"),
        max_length=500,
        error_messages={"required": _("Write why the client changes counsellor.")},
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For your organisation's records. The client does not see it."),
    )

    def __init__(
        self,
        *args: Any,
        current: Sequence[tuple[int, str]],
        speaking: Sequence[tuple[int, str]],
        others: Sequence[tuple[int, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["from_counsellor"].choices = list(current)
        # Those who speak one of the client's languages first, as a group of their own.
        groups: list[tuple[str, Any]] = [("", _("Choose a counsellor"))]
        if speaking:
            groups.append((str(_("Speak the client's language")), list(speaking)))
        if others:
            groups.append((str(_("Other counsellors")), list(others)))
        self.fields["to_counsellor"].choices = groups
