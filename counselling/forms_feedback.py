"""Forms of the feedback and complaint pages, of the coordinators' queue, and of session ratings."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.reference import country_choices
from counselling.forms_intake import ContactFieldsMixin
from counselling.models import Feedback
from counselling.services.feedback import BODY_MAX_CHARS, COMMENT_MAX_CHARS, RESPONSE_MAX_CHARS


class FeedbackForm(ContactFieldsMixin):
    kind = forms.ChoiceField(
        label=_("What do you want to send?"),
        choices=Feedback.Kind.choices,
        initial=Feedback.Kind.FEEDBACK,
        widget=forms.RadioSelect,
    )
    about = forms.ChoiceField(label=_("What is it about?"), choices=Feedback.About.choices)
    country = forms.ChoiceField(
        label=_("Which country of origin does it concern? (you can leave this empty)"), required=False
    )
    body = forms.CharField(
        label=_("What happened?"),
        help_text=_("At most %(n)d characters.") % {"n": BODY_MAX_CHARS},
        widget=forms.Textarea(attrs={"rows": 6, "maxlength": BODY_MAX_CHARS, "dir": "auto"}),
        error_messages={"required": _("Tell us what happened.")},
    )

    field_order = ["kind", "about", "country", "body", "contact_method", "contact", "form_token"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = [("", _("Not about one country")), *country_choices()]


class FeedbackFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("Any status")), *Feedback.Status.choices]
    )
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("Any kind")), *Feedback.Kind.choices]
    )

    def filters(self) -> dict[str, str]:
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {name: "" if name in self.errors else data.get(name) or "" for name in ("status", "kind")}


class FeedbackUpdateForm(forms.Form):
    status = forms.ChoiceField(
        label=_("New status"),
        choices=[
            (Feedback.Status.IN_REVIEW, Feedback.Status.IN_REVIEW.label),
            (Feedback.Status.RESOLVED, Feedback.Status.RESOLVED.label),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose the new status.")},
    )
    response = forms.CharField(
        label=_("Answer to the sender (needed to resolve)"),
        required=False,
        help_text=_("The sender reads this with their reference code. At most %(n)d characters.")
        % {"n": RESPONSE_MAX_CHARS},
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": RESPONSE_MAX_CHARS, "dir": "auto"}),
    )


class RatingForm(forms.Form):
    stars = forms.TypedChoiceField(
        coerce=int,
        choices=[(n, str(n)) for n in range(1, 6)],
        error_messages={"required": _("Choose from 1 to 5 stars.")},
    )


class RatingCommentForm(forms.Form):
    comment = forms.CharField(
        label=_("Anything you want to add? (you can leave this empty)"),
        required=False,
        help_text=_("Your counsellor never sees who wrote it."),
        widget=forms.Textarea(attrs={"rows": 3, "maxlength": COMMENT_MAX_CHARS, "dir": "auto"}),
    )
