"""Names of countries and languages in the viewer's language, for the question and feedback pages."""

from django import template
from django.utils import timezone

from booking.models import Appointment
from frontend.templatetags import names

register = template.Library()


register.filter("country_label", names.country_label)
register.filter("language_label", names.language_label)


@register.inclusion_tag("counselling/feedback/_rating.html", takes_context=True)
def rating_box(context: template.Context, appointment: Appointment) -> dict[str, object]:
    """The appointment page's rating box: five one-tap buttons once the appointment has ended,
    then the optional comment. Nothing for anyone but its client, nor before it ends."""
    from counselling.forms_feedback import RatingCommentForm
    from counselling.selectors.feedback import session_rating_get, session_rating_may_rate

    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"show": False}
    if not session_rating_may_rate(appointment=appointment, user=user, now=timezone.now()):
        return {"show": False}
    rating = session_rating_get(appointment=appointment)
    return {
        "show": True,
        "appointment": appointment,
        "rating": rating,
        "stars": range(1, 6),
        "comment_form": RatingCommentForm(initial={"comment": rating.comment}) if rating else None,
        "csrf_token": context.get("csrf_token"),
    }
