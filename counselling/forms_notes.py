"""The case note form of a client's notes page (write a note, change one's own)."""

import uuid
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from counselling.services import NOTE_MAX_CHARS


class CaseNoteForm(forms.Form):
    # No max_length here: the service checks it and says how long the text is; the browser
    # stops typing at the limit.
    body = forms.CharField(
        label=pgettext_lazy("case note", "Note"),
        strip=True,
        widget=forms.Textarea(attrs={"rows": 5, "maxlength": NOTE_MAX_CHARS, "dir": "auto"}),
        error_messages={"required": _("Write the note first.")},
        help_text=_("Your working notes: what was said, what was agreed, what to do next."),
    )


class NewCaseNoteForm(CaseNoteForm):
    # The note's id, chosen when the form is shown: sending the form twice stores one note.
    ref = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("ref", uuid.uuid4())
