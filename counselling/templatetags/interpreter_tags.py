"""What the conversation page shows about interpreters, loaded by its own partial
(`counselling/_interpreter_consent.html`) so that the conversation view needs no change."""

from django import template

from counselling.models import Participant
from counselling.selectors.interpreters import InterpreterPanel, interpreter_panel
from frontend.templatetags import names

register = template.Library()


@register.simple_tag
def interpreter_panel_for(participant: Participant) -> InterpreterPanel:
    """`{% interpreter_panel_for participant as panel %}`: people, proposal, status."""
    return interpreter_panel(participant=participant)


# "ps" → "Pashto", in the reader's language; the one definition lives in frontend's `names`.
register.filter("language_label", names.language_label)
