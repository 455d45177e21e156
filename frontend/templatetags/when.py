"""Times shown to people: in a given zone, in the current interface language (CLDR via Babel).

{% load when %}
{{ appointment.start_at|day:user.time_zone }}     Mon, Jun 1  (in Arabic: الاثنين، 1 يونيو)
{{ appointment.start_at|clock:user.time_zone }}   10:00  /  10:00 AM
{{ appointment.start_at|when:user.time_zone }}    Mon, Jun 1, 10:00 AM
{{ counsellor.time_zone|zone_city }}              Lagos  /  لاغوس
"""

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale
from babel.dates import format_skeleton, format_time, get_datetime_format, get_timezone_location
from django import template
from django.utils.translation import get_language

register = template.Library()


def _locale() -> Locale:
    try:
        return Locale.parse((get_language() or "en").replace("-", "_"))
    except (ValueError, LookupError):
        return Locale.parse("en")


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


@register.filter
def day(moment: datetime | None, zone: str) -> str:
    if moment is None:
        return ""
    return format_skeleton("MMMMEEEEd", moment, tzinfo=_zone(zone), locale=_locale())


@register.filter
def clock(moment: datetime | None, zone: str) -> str:
    if moment is None:
        return ""
    return format_time(moment, "short", tzinfo=_zone(zone), locale=_locale())


@register.filter
def when(moment: datetime | None, zone: str) -> str:
    if moment is None:
        return ""
    # The language's own way of joining a date and a time ("{1}, {0}", "{1}، {0}", "{1} {0}").
    pattern = str(get_datetime_format("medium", locale=_locale())).replace("'", "")
    return pattern.format(clock(moment, zone), day(moment, zone))


@register.filter
def zone_city(zone: str) -> str:
    return get_timezone_location(_zone(zone), locale=_locale(), return_city=True)
