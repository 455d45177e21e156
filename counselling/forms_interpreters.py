"""Forms about interpreters: a coordinator's proposal, and the client's answer."""

from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _


class InterpreterProposeForm(forms.Form):
    """Propose an interpreter of the organisation for a language. The service checks the rest
    (that they interpret that language, that nothing else waits for the client)."""

    language = forms.ChoiceField(
        label=_("Language"), error_messages={"required": _("Choose the language to interpret.")}
    )
    interpreter = forms.TypedChoiceField(
        label=_("Interpreter"), coerce=int, error_messages={"required": _("Choose an interpreter.")}
    )

    def __init__(
        self,
        *args: Any,
        languages: Sequence[tuple[str, str]],
        interpreters: Sequence[tuple[int, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["language"].choices = [("", _("Choose a language")), *languages]
        self.fields["interpreter"].choices = [("", _("Choose an interpreter")), *interpreters]


class InterpreterAnswerForm(forms.Form):
    """The client's answer: allow (with or without earlier messages) or decline."""

    ALLOW = "allow"
    DECLINE = "decline"

    answer = forms.ChoiceField(
        choices=[(ALLOW, _("Allow")), (DECLINE, _("No, thank you"))],
        error_messages={"required": _("Choose Allow or No, thank you.")},
    )
    shares_history = forms.BooleanField(label=_("Let them read our earlier messages"), required=False)
