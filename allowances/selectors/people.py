"""Reads for the people side of allowances: money in the viewer's language, the newest
digital-needs assessment, programmes one may join, and "My allowance" (what a person received,
when, how, and which of their own activities made them eligible).

Every function here takes the person and returns only their own rows.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from babel.numbers import format_decimal, get_currency_name, get_territory_currencies
from django.db.models import Prefetch, QuerySet
from django.utils.translation import get_language

from accounts.models import User
from accounts.reference import locale_for
from allowances.models import Assessment, Consent, Entitlement, Payment, Programme
from allowances.money import currency_digits, major_text, money, parse_major

# --- Money ------------------------------------------------------------------------------------

# Arabic-Indic and Extended (Persian) digits, typed on phones set to Arabic, Persian or Urdu.
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_PLAIN_NUMBER = re.compile(r"^\d+(\.\d+)?$")
# Far above any monthly data bill, far below the column's limit.
MAX_MINOR = 1_000_000_000


def currency_precision(currency: str) -> int:
    """Digits after the decimal point in `currency` (ISO 4217 via Babel's CLDR: EUR 2, AFN 0)."""
    return currency_digits(currency)


def money_text(amount_minor: int, currency: str, language: str | None = None) -> str:
    """An amount in minor units, written the way the viewer's language writes money."""
    return str(money(int(amount_minor), currency, language))


def number_text(value: int | float | Decimal, language: str | None = None) -> str:
    return str(format_decimal(value, locale=locale_for(language or get_language() or "en")))


def money_plain(amount_minor: int, currency: str) -> str:
    """Minor units as a plain decimal string with a point ("12.50"), for files read by machines."""
    return major_text(int(amount_minor), currency)


def minor_units_parse(text: str, currency: str) -> int:
    """What a person typed ("12.50", "12,5", "1,250", also in Arabic-Indic or Persian digits with
    the Arabic decimal separator) as integer minor units of `currency`. Raises ValueError when
    it is not a plain non-negative amount with at most the currency's number of decimals."""
    cleaned = text.strip().translate(_DIGITS)
    for space in (" ", "\u00a0", "\u202f", "\u066c", "'"):
        cleaned = cleaned.replace(space, "")
    cleaned = cleaned.replace("\u066b", ".")  # the Arabic decimal separator
    if "," in cleaned:
        head, _sep, tail = cleaned.rpartition(",")
        if "." in cleaned or cleaned.count(",") > 1 or len(tail) == 3:
            # Thousands separators ("1,250" or "1,250.50").
            cleaned = cleaned.replace(",", "")
        else:
            cleaned = f"{head}.{tail}"
    # Only digits and one point: no signs, exponents, "NaN" or "Infinity" for Decimal to accept.
    if not _PLAIN_NUMBER.match(cleaned):
        raise ValueError("not a number")
    minor = parse_major(cleaned, currency)
    if minor > MAX_MINOR:
        raise ValueError("too large")
    return minor


def currency_label(currency: str, language: str | None = None) -> str:
    name = get_currency_name(currency, locale=locale_for(language or get_language() or "en"))
    return f"{name} ({currency})"


def _country_currency(country: str) -> str | None:
    if not country:
        return None
    try:
        found = get_territory_currencies(country, tender=True)
    except Exception:  # noqa: BLE001 - an unknown territory code simply has no currency
        return None
    return str(found[0]) if found else None


def currency_codes_for(*, user: User) -> list[str]:
    """Currencies a person is likely to pay for data in, most likely first: where they live,
    where they come from, their programmes', then euro and dollar."""
    codes: list[str | None] = [
        _country_currency(user.country_of_residence),
        _country_currency(user.country_of_origin),
        *Consent.objects.filter(user=user).values_list("programme__currency", flat=True),
        "EUR",
        "USD",
    ]
    seen: list[str] = []
    for code in codes:
        if code and code not in seen:
            seen.append(code)
    return seen


# --- Assessment -------------------------------------------------------------------------------


def assessment_latest(*, user: User) -> Assessment | None:
    """The person's newest answer to the questionnaire (the one that counts), or None."""
    return Assessment.objects.filter(user=user).order_by("-answered_at", "-pk").first()


# --- Programmes and consent -------------------------------------------------------------------


def programme_list_open() -> QuerySet[Programme]:
    """Programmes people may join now."""
    return Programme.objects.filter(active=True).order_by("name", "pk")


def programme_get_open(*, programme_id: int) -> Programme | None:
    return programme_list_open().filter(pk=programme_id).first()


def consent_list_for_user(*, user: User) -> QuerySet[Consent]:
    return Consent.objects.filter(user=user).select_related("programme").order_by("programme__name")


def consent_get(*, user: User, programme: Programme) -> Consent | None:
    return Consent.objects.filter(user=user, programme=programme).first()


# --- My allowance -----------------------------------------------------------------------------


@dataclass(frozen=True)
class EvidenceLine:
    kind: str  # "lesson", "day", "session", "count"
    label: str
    on: date | None = None
    number: int | None = None


@dataclass
class AllowanceItem:
    entitlement: Entitlement
    # Every attempt to pay, oldest first; the last one is the one that counts now.
    payments: list[Payment]
    evidence: list[EvidenceLine] = field(default_factory=list)

    @property
    def current(self) -> Payment | None:
        return self.payments[-1] if self.payments else None


def _as_date(value: Any) -> date | None:
    if isinstance(value, str) and len(value) >= 10:
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


Dated = tuple[int, date | None]


def _ids_and_dates(items: Any, keys: Iterable[str]) -> list[Dated]:
    """Evidence lists hold ids, or objects with an id under one of `keys` and a date."""
    found: list[Dated] = []
    if not isinstance(items, list):
        return found
    for item in items:
        if isinstance(item, bool):
            continue
        if isinstance(item, int):
            found.append((item, None))
        elif isinstance(item, dict):
            ident = next((item[k] for k in keys if isinstance(item.get(k), int)), None)
            if ident is None:
                continue
            when = next(
                (
                    _as_date(item[k])
                    for k in ("completed_at", "on", "date", "at", "start_at", "day")
                    if item.get(k)
                ),
                None,
            )
            found.append((ident, when))
    return found


def _first(evidence: dict[str, Any], *names: str) -> Any:
    return next((evidence[name] for name in names if name in evidence), None)


def evidence_lines(*, user: User, items: list[AllowanceItem]) -> None:
    """Fill each item's `evidence` from its entitlement's snapshot: lesson titles, days, counselling
    sessions. The snapshot holds ids and dates; each is looked up again, and only what is still
    the person's own (their progress in a lesson that exists, their own appointment) is named.
    The rest is counted, not named."""
    from booking.models import Appointment
    from courses.models import LessonProgress

    parsed: list[tuple[AllowanceItem, list[Dated], list[date], list[Dated]]] = []
    lesson_ids: set[int] = set()
    session_ids: set[int] = set()
    for item in items:
        evidence = item.entitlement.evidence if isinstance(item.entitlement.evidence, dict) else {}
        lessons = _ids_and_dates(
            _first(evidence, "lessons", "lessons_completed", "lesson_ids"), ("lesson_id", "lesson", "id")
        )
        raw_days = _first(evidence, "active_days", "days")
        days = sorted({d for d in (_as_date(v) for v in raw_days) if d}) if isinstance(raw_days, list) else []
        sessions = _ids_and_dates(
            _first(evidence, "sessions", "appointments", "sessions_attended", "appointment_ids"),
            ("appointment_id", "appointment", "session_id", "id"),
        )
        lesson_ids.update(i for i, _ in lessons)
        session_ids.update(i for i, _ in sessions)
        parsed.append((item, lessons, days, sessions))
    titles = dict(
        LessonProgress.objects.filter(user=user, lesson_id__in=lesson_ids).values_list(
            "lesson_id", "lesson__title"
        )
    )
    mine = dict(Appointment.objects.filter(client=user, pk__in=session_ids).values_list("pk", "start_at"))
    for item, lessons, days, sessions in parsed:
        lines: list[EvidenceLine] = []
        hidden_lessons = 0
        for lesson_id, when in lessons:
            if lesson_id in titles:
                lines.append(EvidenceLine("lesson", titles[lesson_id], when))
            else:
                hidden_lessons += 1
        if hidden_lessons:
            lines.append(EvidenceLine("lessons_gone", "", number=hidden_lessons))
        if days:
            lines.append(EvidenceLine("days", "", number=len(days)))
        hidden_sessions = 0
        for session_id, when in sessions:
            if session_id in mine:
                lines.append(EvidenceLine("session", "", when or mine[session_id].date()))
            else:
                hidden_sessions += 1
        if hidden_sessions:
            lines.append(EvidenceLine("sessions_gone", "", number=hidden_sessions))
        item.evidence = lines


def my_allowance(*, user: User) -> list[AllowanceItem]:
    """The person's entitlements, newest period first, with every payment attempt and the
    activities that made them eligible. Nobody else's rows can appear: everything is filtered
    on `beneficiary=user` (and lookups on the person's own progress and appointments)."""
    entitlements = (
        Entitlement.objects.filter(beneficiary=user)
        .select_related("period", "period__programme")
        .prefetch_related(Prefetch("payments", queryset=Payment.objects.order_by("created_at", "pk")))
        .order_by("-period__starts_on", "-pk")
    )
    items = [AllowanceItem(entitlement=e, payments=list(e.payments.all())) for e in entitlements]
    evidence_lines(user=user, items=items)
    return items
