"""Forms of the counsellor's pages. Times are wall-clock times in the counsellor's own zone,
as the booking services take them."""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, time
from decimal import Decimal
from typing import Any

from babel.dates import get_day_names
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import get_language, gettext_lazy, ngettext
from django.utils.translation import gettext as _

from accounts.reference import locale_for
from booking.models import Appointment, Schedule, WeeklyRule
from booking.services import ALLOWED_DURATIONS, time_ranges_check

RANGES_PER_DAY = 3
RANGES_PER_OVERRIDE = 2
TIME_FORMATS = ["%H:%M", "%H:%M:%S"]

Range = tuple[time, time]
Day = date  # inside DateOverrideForm, `date` names its field


def weekday_names() -> list[str]:
    """Monday first, in the interface language (CLDR)."""
    names = get_day_names("wide", locale=locale_for(get_language() or "en"))
    return [names[day] for day in range(7)]


def _time_field() -> forms.TimeField:
    return forms.TimeField(
        required=False,
        input_formats=TIME_FORMATS,
        widget=forms.TimeInput(format="%H:%M", attrs={"type": "time", "step": "300"}),
    )


class ScheduleForm(forms.Form):
    durations = forms.TypedMultipleChoiceField(
        label=gettext_lazy("Appointment lengths you offer"),
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": gettext_lazy("Choose at least one appointment length.")},
    )
    buffer_before = forms.IntegerField(
        label=gettext_lazy("Free minutes before each appointment"), min_value=0, max_value=120
    )
    buffer_after = forms.IntegerField(
        label=gettext_lazy("Free minutes after each appointment"), min_value=0, max_value=120
    )
    min_notice_hours = forms.DecimalField(
        label=gettext_lazy("Minimum notice (hours)"),
        help_text=gettext_lazy("Clients cannot book a time that starts sooner than this."),
        min_value=0,
        max_value=24 * 14,
        max_digits=5,
        decimal_places=2,
    )
    horizon_days = forms.IntegerField(
        label=gettext_lazy("How far ahead clients can book (days)"), min_value=1, max_value=365
    )
    max_per_day = forms.IntegerField(
        label=gettext_lazy("Most appointments in one day"), min_value=1, max_value=48
    )

    # Names of the service's arguments that this form shows under another name.
    RENAMED = {"min_notice": "min_notice_hours"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Labels built here, per request, so that they are in the person's language.
        self.fields["durations"].choices = [  # type: ignore[attr-defined]
            (n, ngettext("%(n)d minute", "%(n)d minutes", n) % {"n": n}) for n in ALLOWED_DURATIONS
        ]

    @staticmethod
    def initial_for(schedule: Schedule | None) -> dict[str, object]:
        schedule = schedule or Schedule()
        return {
            "durations": list(schedule.durations),
            "buffer_before": schedule.buffer_before,
            "buffer_after": schedule.buffer_after,
            "min_notice_hours": (Decimal(schedule.min_notice) / 60).normalize(),
            "horizon_days": schedule.horizon_days,
            "max_per_day": schedule.max_per_day,
        }

    def service_kwargs(self) -> dict[str, object]:
        data = self.cleaned_data
        return {
            "durations": data["durations"],
            "buffer_before": data["buffer_before"],
            "buffer_after": data["buffer_after"],
            "min_notice": int(data["min_notice_hours"] * 60),
            "horizon_days": data["horizon_days"],
            "max_per_day": data["max_per_day"],
        }


def _ranges_errors(ranges: Sequence[Range]) -> list[str]:
    """The services' rule, said about one day, so the page can point at it."""
    try:
        time_ranges_check(ranges)
    except ValidationError as error:
        return list(error.messages)
    return []


@dataclass
class DayRows:
    weekday: int
    name: str
    rows: list[tuple[forms.BoundField, forms.BoundField]]
    errors: list[str]


class WeeklyHoursForm(forms.Form):
    """Up to RANGES_PER_DAY ranges for each weekday (more when more are saved already)."""

    def __init__(self, *args: Any, rows_per_day: Sequence[int] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rows_per_day = [max(RANGES_PER_DAY, n) for n in (list(rows_per_day) or [0] * 7)]
        self.day_errors: dict[int, list[str]] = {}
        for weekday, rows in enumerate(self.rows_per_day):
            for row in range(rows):
                self.fields[f"d{weekday}_{row}_start"] = _time_field()
                self.fields[f"d{weekday}_{row}_end"] = _time_field()

    @classmethod
    def for_rules(cls, rules: Sequence[WeeklyRule], *args: Any, **kwargs: Any) -> "WeeklyHoursForm":
        counts = [0] * 7
        initial: dict[str, time] = {}
        for rule in sorted(rules, key=lambda r: (r.weekday, r.start)):
            row = counts[rule.weekday]
            counts[rule.weekday] += 1
            initial[f"d{rule.weekday}_{row}_start"] = rule.start
            initial[f"d{rule.weekday}_{row}_end"] = rule.end
        return cls(*args, rows_per_day=counts, initial=initial, **kwargs)

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        rules: list[tuple[int, time, time]] = []
        for weekday, rows in enumerate(self.rows_per_day):
            ranges: list[Range] = []
            errors: list[str] = []
            for row in range(rows):
                names = f"d{weekday}_{row}_start", f"d{weekday}_{row}_end"
                if any(name in self.errors for name in names):
                    continue  # not a time: its own error says so
                start, end = data.get(names[0]), data.get(names[1])
                if start is None and end is None:
                    continue
                if start is None or end is None:
                    errors.append(_("Give both a start and an end time."))
                    continue
                ranges.append((start, end))
            errors = errors or _ranges_errors(ranges)
            if errors:
                self.day_errors[weekday] = errors
            rules.extend((weekday, start, end) for start, end in ranges)
        if self.day_errors or any(name.startswith("d") for name in self.errors):
            raise ValidationError(
                _("Some hours need a change. Nothing was saved. See the days marked below.")
            )
        data["rules"] = rules
        return data

    def days(self) -> Iterator[DayRows]:
        names = weekday_names()
        for weekday, rows in enumerate(self.rows_per_day):
            bound = [(self[f"d{weekday}_{r}_start"], self[f"d{weekday}_{r}_end"]) for r in range(rows)]
            # A time that does not parse shows its error next to its own input instead.
            yield DayRows(weekday, names[weekday], bound, self.day_errors.get(weekday, []))


class DateOverrideForm(forms.Form):
    DAY_OFF, HOURS = "off", "hours"

    date = forms.DateField(
        label=gettext_lazy("Date"),
        input_formats=["%Y-%m-%d"],
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
    )
    kind = forms.ChoiceField(
        label=gettext_lazy("On this date"),
        choices=[(DAY_OFF, gettext_lazy("Day off")), (HOURS, gettext_lazy("Other hours"))],
        initial=DAY_OFF,
        widget=forms.RadioSelect,
    )
    note = forms.CharField(label=gettext_lazy("Note (optional)"), max_length=120, required=False)

    def __init__(self, *args: Any, today: Day, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        self.fields["date"].widget.attrs["min"] = today.isoformat()
        for row in range(RANGES_PER_OVERRIDE):
            self.fields[f"start_{row}"] = _time_field()
            self.fields[f"end_{row}"] = _time_field()

    def clean_date(self) -> Day:
        day: Day = self.cleaned_data["date"]
        if day < self.today:
            raise ValidationError(_("Choose today or a later date."))
        return day

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        ranges: list[Range] = []
        if data.get("kind") == self.HOURS:
            for row in range(RANGES_PER_OVERRIDE):
                start, end = data.get(f"start_{row}"), data.get(f"end_{row}")
                if start is None and end is None:
                    continue
                if start is None or end is None:
                    raise ValidationError(_("Give both a start and an end time."))
                ranges.append((start, end))
            if not ranges:
                raise ValidationError(_("Give the hours of this date, or choose day off."))
            for message in _ranges_errors(ranges):
                raise ValidationError(message)
        data["ranges"] = ranges
        return data

    def rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[f"start_{r}"], self[f"end_{r}"]) for r in range(RANGES_PER_OVERRIDE)]


class MarkForm(forms.Form):
    status = forms.ChoiceField(choices=[(Appointment.Status.COMPLETED, ""), (Appointment.Status.NO_SHOW, "")])


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Why do you cancel?"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": gettext_lazy("Please write why you cancel this appointment.")},
    )
