"""Reports views of the allowances app, for coordinators: their organisation's programmes, a
programme's report (per period or in all) with charts, its pseudonymised CSV, and the aggregate
of the digital-needs questionnaire. A programme of another organisation does not exist (404).
"""

import csv
from collections.abc import Iterator

from babel.dates import format_date
from babel.numbers import format_percent
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import get_language, get_language_bidi
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.models import Role, User
from accounts.permissions import role_required
from accounts.reference import country_name, locale_for
from allowances.models import Connection, Device, Programme, Sex
from allowances.money import currency_digits
from allowances.selectors import reports as selectors
from allowances.selectors.people import money_plain, money_text, number_text
from courses.charts import Bar, Line, bar_chart_svg, line_chart_svg
from courses.views.reports import csv_safe

REPORT_ROLES = (Role.COORDINATOR,)


def _viewer(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _count_text(value: int | None) -> str:
    return _("fewer than 5") if value is None else number_text(value)


def _percent_text(part: int | None, whole: int) -> str:
    if part is None:
        return _("fewer than 5")
    if not whole:
        return "\u2013"  # an en dash: no figure
    return str(format_percent(part / whole, locale=locale_for(get_language() or "en")))


def _date(day: object) -> str:
    return format_date(day, "medium", locale=locale_for(get_language() or "en"))  # type: ignore[arg-type]


def _labels() -> dict[str, dict[str, str]]:
    other = {selectors.NOT_SHARED: _("Not shared"), selectors.NOT_GIVEN: _("Not given")}
    return {
        "sex": {**dict(Sex.choices), **other},
        "age_band": {
            # Ranges of digits read the same in every language of the interface.
            "under_18": _("Under 18"),
            "18_24": "18\u201324",
            "25_34": "25\u201334",
            "35_49": "35\u201349",
            "50_plus": _("50 and over"),
            **other,
        },
    }


def _rows(counts: dict[str, int | None], names: dict[str, str] | None = None) -> list[dict[str, str]]:
    other = {selectors.NOT_SHARED: _("Not shared"), selectors.NOT_GIVEN: _("Not given")}
    return [
        {
            "label": (names or {}).get(key) or other.get(key) or country_name(key),
            "count": _count_text(value),
        }
        for key, value in counts.items()
    ]


@role_required(*REPORT_ROLES)
@require_GET
def report_list(request: HttpRequest) -> HttpResponse:
    """The organisation's programmes, each with its periods, linking to the reports."""
    programmes = list(
        selectors.programme_list_for_coordinator(viewer=_viewer(request)).prefetch_related("periods")
    )
    items = [
        {
            "programme": p,
            "periods": [
                {
                    "period": period,
                    "text": _("%(start)s to %(end)s")
                    % {"start": _date(period.starts_on), "end": _date(period.ends_on)},
                }
                for period in sorted(p.periods.all(), key=lambda period: period.starts_on, reverse=True)
            ],
        }
        for p in programmes
    ]
    return render(request, "allowances/reports/list.html", {"items": items})


def _amount_bars(report: selectors.ProgrammeReport) -> str:
    currency = report.programme.currency
    a = report.amounts
    bars = [
        Bar(_("Entitled"), a.entitled, money_text(a.entitled, currency), "#0b5a7a"),
        Bar(_("Approved"), a.approved, money_text(a.approved, currency), "#3b7d23"),
        Bar(_("Delivered"), a.delivered, money_text(a.delivered, currency), "#1a7f37"),
        Bar(_("Failed"), a.failed, money_text(a.failed, currency), "#b42318"),
        Bar(_("Re-issued"), a.reissued, money_text(a.reissued, currency), "#b54708"),
        Bar(_("Provider fees"), a.fees, money_text(a.fees, currency), "#5b5b5b"),
    ]
    return bar_chart_svg(
        title=_("Amounts of the programme"),
        desc=_(
            "Entitled %(entitled)s, approved %(approved)s, delivered %(delivered)s, failed %(failed)s, "
            "re-issued %(reissued)s, fees %(fees)s."
        )
        % {
            "entitled": bars[0].text,
            "approved": bars[1].text,
            "delivered": bars[2].text,
            "failed": bars[3].text,
            "reissued": bars[4].text,
            "fees": bars[5].text,
        },
        bars=bars,
        rtl=get_language_bidi(),
    )


def _period_chart(report: selectors.ProgrammeReport) -> str:
    series = report.by_period
    if len(series) < 2:
        return ""
    precision_scale = 10 ** currency_digits(report.programme.currency)
    locale = locale_for(get_language() or "en")
    return line_chart_svg(
        title=_("Entitled and delivered, period by period"),
        desc=_("Amounts in %(currency)s, whole units, for each period from the first.")
        % {"currency": report.programme.currency},
        labels=[format_date(f.period.starts_on, "d MMM", locale=locale) for f in series],
        lines=[
            Line(_("Entitled"), [f.entitled // precision_scale for f in series], "#0b5a7a"),
            Line(_("Delivered"), [f.delivered // precision_scale for f in series], "#1a7f37", dash="6 4"),
        ],
        rtl=get_language_bidi(),
    )


def _outcome(o: selectors.Outcomes) -> dict[str, str] | None:
    if o.people is None:
        return None
    return {
        "people": number_text(o.people),
        "lessons": number_text(o.lessons),
        "per_person": number_text(round(o.lessons_per_person, 1)),
        "courses": number_text(o.courses),
        "learners": _percent_text(o.learners, o.people),
    }


@role_required(*REPORT_ROLES)
@require_GET
def programme_report(request: HttpRequest, programme_id: int) -> HttpResponse:
    """A programme's amounts, people and learning outcomes, for one period or all of them."""
    programme = selectors.programme_report_get(viewer=_viewer(request), programme_id=programme_id)
    period = selectors.period_get(programme=programme, period_id=request.GET.get("period"))
    report = selectors.programme_report(programme=programme, period=period)
    currency = programme.currency
    a = report.amounts
    labels = _labels()
    return render(
        request,
        "allowances/reports/programme.html",
        {
            "programme": programme,
            "period": period,
            "period_text": _("%(start)s to %(end)s")
            % {"start": _date(period.starts_on), "end": _date(period.ends_on)}
            if period
            else _("All periods"),
            "periods": [
                {
                    "pk": p.pk,
                    "text": _("%(start)s to %(end)s")
                    % {"start": _date(p.starts_on), "end": _date(p.ends_on)},
                }
                for p in selectors.period_list(programme=programme).order_by("-starts_on")
            ],
            "amounts": [
                (_("Entitled"), money_text(a.entitled, currency)),
                (_("Approved"), money_text(a.approved, currency)),
                (_("Delivered"), money_text(a.delivered, currency)),
                (_("Waiting to be delivered"), money_text(a.waiting, currency)),
                (_("Failed"), money_text(a.failed, currency)),
                (_("Re-issued"), money_text(a.reissued, currency)),
                (_("Provider fees"), money_text(a.fees, currency)),
                (_("Still owed to people"), money_text(a.owed, currency)),
            ],
            "beneficiaries": number_text(report.beneficiaries),
            "recipients_count": number_text(report.recipients_count),
            "sex_rows": _rows(report.entitled_people.sex, labels["sex"]),
            "age_rows": _rows(report.entitled_people.age_band, labels["age_band"]),
            "origin_rows": _rows(report.entitled_people.nationality),
            "with_allowance": _outcome(report.outcomes_recipients),
            "without": _outcome(report.outcomes_others),
            "amount_chart": _amount_bars(report),
            "period_chart": _period_chart(report),
        },
    )


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_header() -> list[str]:
    return [
        _("Person (pseudonym)"),
        _("Period from"),
        _("Period to"),
        _("Currency"),
        _("Entitled"),
        _("Approved"),
        _("Delivered"),
        _("Failed"),
        _("Re-issued"),
        _("Provider fees"),
        _("Last payment status"),
        _("Method"),
        _("Sex"),
        _("Age band"),
        _("Nationality"),
    ]


def csv_cells(row: selectors.ExportRow) -> list[str]:
    cur = row.currency
    return [
        csv_safe(value)
        for value in (
            row.pseudonym,
            row.period_start.isoformat() if row.period_start else "",
            row.period_end.isoformat() if row.period_end else "",
            cur,
            money_plain(row.entitled, cur),
            "yes" if row.approved else "no",
            money_plain(row.delivered, cur),
            money_plain(row.failed, cur),
            money_plain(row.reissued, cur),
            money_plain(row.fees, cur),
            row.status,
            row.method,
            row.sex,
            row.age_band,
            row.nationality,
        )
    ]


@role_required(*REPORT_ROLES)
@require_GET
def programme_export(request: HttpRequest, programme_id: int) -> StreamingHttpResponse:
    """The programme's rows as CSV: one per entitlement, pseudonymised (no names, no phone
    numbers), amounts in the currency's major unit; the columns add up to the report."""
    programme: Programme = selectors.programme_report_get(viewer=_viewer(request), programme_id=programme_id)
    period = selectors.period_get(programme=programme, period_id=request.GET.get("period"))
    writer = csv.writer(_Echo())

    def lines() -> Iterator[str]:
        yield "\ufeff" + writer.writerow(csv_header())
        for row in selectors.export_rows(programme=programme, period=period):
            yield writer.writerow(csv_cells(row))

    day = timezone.now().strftime("%Y-%m-%d")
    scope = f"period-{period.starts_on.isoformat()}" if period else "all-periods"
    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="allowances-{programme.pk}-{scope}-{day}.csv"'
    response["Cache-Control"] = "private, no-store"
    return response


@role_required(*REPORT_ROLES)
@require_GET
def assessment_report(request: HttpRequest) -> HttpResponse:
    """The newest questionnaire answers, counted, for everyone or for one programme's people."""
    programmes = list(selectors.programme_list_for_coordinator(viewer=_viewer(request)))
    chosen = request.GET.get("programme", "")
    programme = next((p for p in programmes if str(p.pk) == chosen), None)
    summary = selectors.assessment_summary(programme=programme)
    devices = [(Device(d).label, v) for d, v in summary.devices.items()]
    chart = ""
    if summary.devices:
        chart = bar_chart_svg(
            title=_("Devices people have"),
            desc="; ".join(f"{label}: {_count_text(v)}" for label, v in devices),
            bars=[Bar(str(label), v or 0, _count_text(v)) for label, v in devices],
            rtl=get_language_bidi(),
        )
    return render(
        request,
        "allowances/reports/assessments.html",
        {
            "programmes": programmes,
            "programme": programme,
            "summary": summary,
            "respondents": number_text(summary.respondents),
            "enough": summary.respondents >= selectors.SMALL,
            "devices": [{"label": label, "count": _count_text(v)} for label, v in devices],
            "connections": [
                {"label": Connection(c).label, "count": _count_text(v)}
                for c, v in summary.connections.items()
            ],
            "needs_tech": _percent_text(summary.needs_tech, summary.respondents),
            "needs_connectivity": _percent_text(summary.needs_connectivity, summary.respondents),
            "costs": [
                {"currency": currency, "median": money_text(median, currency), "answers": number_text(n)}
                for currency, (median, n) in summary.median_cost.items()
            ],
            "chart": chart,
        },
    )


urlpatterns: list[URLPattern] = [
    path("allowances/reports/", report_list, name="report_list"),
    path("allowances/reports/<int:programme_id>/", programme_report, name="report"),
    path("allowances/reports/<int:programme_id>/export.csv", programme_export, name="report_export"),
    path("allowances/assessments/report/", assessment_report, name="assessment_report"),
]
