"""Money in integer minor units (ISO 4217): checking currencies, converting to and from the
currency's major unit with Decimal (never floats), and formatting with Babel in the reader's
language. People type major units ("12.50"); everything stored is minor units (1250)."""

from decimal import Decimal, InvalidOperation

import babel.numbers
from babel.core import Locale, UnknownLocaleError
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext as _

# Codes in ISO 4217 that are not money a programme can pay out in (test, gold, SDR, ...).
NOT_PAYABLE = frozenset(
    {"XXX", "XTS", "XAU", "XAG", "XPT", "XPD", "XBA", "XBB", "XBC", "XBD", "XDR", "XSU", "XUA"}
)
KNOWN_CURRENCIES = frozenset(babel.numbers.list_currencies()) - NOT_PAYABLE
# Per-period amounts are 32-bit columns; nobody gets a billion units of anything for airtime.
MAX_MINOR = 1_000_000_000


def currency_check(code: object) -> str:
    """The ISO 4217 code, upper case, if it is real money; otherwise a clear refusal."""
    text = str(code or "").strip().upper()
    if len(text) != 3 or not text.isalpha() or text not in KNOWN_CURRENCIES:
        raise ValidationError(
            _("“%(code)s” is not a currency we know. Use a three-letter ISO 4217 code, such as EUR or AFN.")
            % {"code": str(code or "")[:12]},
            code="unknown_currency",
        )
    return text


def currency_digits(currency: str) -> int:
    """How many minor-unit digits `currency` has (EUR 2, JPY 0, KWD 3)."""
    return int(babel.numbers.get_currency_precision(currency))


def to_major(amount_minor: int, currency: str) -> Decimal:
    return Decimal(int(amount_minor)).scaleb(-currency_digits(currency))


def major_text(amount_minor: int, currency: str) -> str:
    """'12.50' for 1250 EUR, '500' for 500 JPY: plain, for forms and files."""
    digits = currency_digits(currency)
    return f"{to_major(amount_minor, currency):.{digits}f}"


def amount_to_minor(text: object, *, currency: str, maximum: int = MAX_MINOR) -> int:
    """Parse an amount typed in major units ("12.50") into integer minor units (1250); a
    translated ValidationError says what is wrong (not a number, negative, too many decimals
    for the currency, far too large)."""
    raw = str(text if text is not None else "").strip().replace(" ", "")
    if len(raw) > 24:
        raise ValidationError(_("This amount is far too large."), code="too_large")
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ValidationError(_("Write an amount with digits, such as 12.50."), code="not_a_number") from None
    if not value.is_finite():
        raise ValidationError(_("Write an amount with digits, such as 12.50."), code="not_a_number")
    if value < 0:
        raise ValidationError(_("An amount cannot be negative."), code="negative")
    digits = currency_digits(currency)
    minor = value.scaleb(digits)
    if minor != minor.to_integral_value():
        raise ValidationError(
            _("%(currency)s amounts have at most %(digits)s decimal places.")
            % {"currency": currency, "digits": digits},
            code="too_many_decimals",
        )
    result = int(minor)
    if result > maximum:
        raise ValidationError(_("This amount is far too large."), code="too_large")
    return result


def parse_major(text: str, currency: str) -> int:
    """`amount_to_minor` for machine-written input (provider files): ValueError instead."""
    try:
        return amount_to_minor(text, currency=currency)
    except ValidationError as error:
        raise ValueError(error.messages[0]) from None


def _locale(language: str | None = None) -> Locale:
    try:
        return Locale.parse(translation.to_locale(language or translation.get_language() or "en"))
    except (UnknownLocaleError, ValueError):
        return Locale.parse("en")


def money(amount_minor: int, currency: str, language: str | None = None) -> str:
    """'€12.50' / '12,50 €' by the reader's language."""
    return str(
        babel.numbers.format_currency(to_major(amount_minor, currency), currency, locale=_locale(language))
    )


def number(value: int) -> str:
    return str(babel.numbers.format_decimal(value, locale=_locale()))
