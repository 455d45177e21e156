"""What the conversation page shows about interpreters, loaded by its own partial
(`counselling/_interpreter_consent.html`) so that the conversation view needs no change."""

from django import template

from accounts.reference import language_name
from counselling.models import Participant
from counselling.selectors.interpreters import InterpreterPanel, interpreter_panel

register = template.Library()


@register.simple_tag
def interpreter_panel_for(participant: Participant) -> InterpreterPanel:
    """`{% interpreter_panel_for participant as panel %}`: people, proposal, status."""
    return interpreter_panel(participant=participant)


@register.filter
def language_label(code: str) -> str:
    """A language code as a name in the reader's language ("ps" → "Pashto")."""
    return language_name(code) if code else ""
