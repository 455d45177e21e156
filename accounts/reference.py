"""Reference lists (languages, countries, time zones, topics) with names in the viewer's
language, from the CLDR data that Babel ships."""

from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from babel import Locale
from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

# Languages spoken along the migration corridors the programmes serve (ISO 639-1, or 639-3
# where no two-letter code exists, e.g. Dari `prs`). Counsellors and clients are matched on these.
LANGUAGE_CODES = (
    "am", "ar", "bn", "ckb", "de", "el", "en", "es", "fa", "ff", "fr", "ha", "hi", "hy",
    "ig", "it", "ka", "ku", "ln", "mn", "ne", "om", "pa", "prs", "ps", "pt", "ro",
    "ru", "rw", "so", "sq", "sr", "sw", "ta", "ti", "tk", "tr", "uk", "ur", "uz", "vi",
    "wo", "yo", "zh",
)  # fmt: skip


class Topic(models.TextChoices):
    RETURN = "return", _("Return and reintegration")
    LEGAL = "legal", _("Legal information")
    WORK = "work", _("Work and training")
    PSYCHOSOCIAL = "psychosocial", _("Psychosocial support")
    FAMILY = "family", _("Family")
    HEALTH = "health", _("Health")
    EDUCATION = "education", _("Education and recognition of diplomas")


@cache
def locale_for(language: str) -> Locale:
    """Babel's CLDR data for a Django language code (parsed once per code: it is slow)."""
    try:
        return Locale.parse(language.replace("-", "_"))
    except (ValueError, LookupError):
        return Locale.parse("en")


def _locale() -> Locale:
    return locale_for(get_language() or "en")


# ISO 639-3 codes that CLDR names under another key (Dari is CLDR's `fa_AF`).
_CLDR_KEY = {"prs": "fa_AF"}


def language_name(code: str) -> str:
    key = _CLDR_KEY.get(code, code)
    return _locale().languages.get(key) or Locale.parse("en").languages.get(key) or code


def language_choices() -> list[tuple[str, str]]:
    """Languages named in the current interface language, sorted by that name."""
    return sorted(((c, language_name(c)) for c in LANGUAGE_CODES), key=lambda c: c[1].lower())


@cache
def country_codes() -> frozenset[str]:
    # Two-letter territories, less CLDR's groupings and private-use codes.
    not_countries = {"EU", "EZ", "UN", "QO", "ZZ", "XA", "XB"}
    territories = Locale.parse("en").territories
    return frozenset(c for c in territories if len(c) == 2 and c.isalpha() and c not in not_countries)


def country_name(code: str) -> str:
    return _locale().territories.get(code) or code


def country_choices() -> list[tuple[str, str]]:
    names = _locale().territories
    return sorted(
        ((c, names.get(c, c)) for c in country_codes()),
        key=lambda c: c[1].lower(),
    )


@cache
def valid_time_zones() -> frozenset[str]:
    """Every zone name the system knows (read from disk once: it is slow)."""
    return frozenset(available_timezones())


@cache
def time_zones() -> tuple[str, ...]:
    """Canonical Area/City zones (no legacy aliases such as `US/Eastern`)."""
    areas = ("Africa", "America", "Asia", "Atlantic", "Australia", "Europe", "Indian", "Pacific")
    return (*sorted(z for z in valid_time_zones() if z.split("/")[0] in areas), "UTC")


def zone_for(name: str | None) -> ZoneInfo:
    """The zone of that name; UTC for an empty or unknown name (shown, never an error)."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")
