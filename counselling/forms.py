"""The message form of the conversation page (the way to write without WebSockets)."""

import uuid
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from counselling.services import MESSAGE_MAX_CHARS


class MessageForm(forms.Form):
    body = forms.CharField(
        label=_("Your message"),
        max_length=MESSAGE_MAX_CHARS,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": MESSAGE_MAX_CHARS}),
        error_messages={"required": _("Write a message first.")},
    )
    # The device's own id for this message: sending the form twice stores it once.
    client_id = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("client_id", uuid.uuid4())


class ReportForm(forms.Form):
    reason = forms.CharField(
        label=_("What worries you about this message? (you can leave this empty)"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ReportResolveForm(forms.Form):
    outcome = forms.CharField(
        label=_("What was done"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Write what was done.")},
    )
