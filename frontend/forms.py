from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms.renderers import TemplatesSetting
from django.http import HttpRequest


class FormRenderer(TemplatesSetting):
    """Every form (ours and allauth's) renders with the same accessible field markup."""

    form_template_name = "frontend/forms/form.html"
    field_template_name = "frontend/forms/field.html"


def apply_errors(form: forms.Form, error: ValidationError, renamed: dict[str, str] | None = None) -> None:
    """Show a service's ValidationError on the form: next to its field where the form has one
    (`renamed` maps a service's argument to the form field that stands for it)."""
    renamed = renamed or {}
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, errors in error.error_dict.items():
        target = renamed.get(field, field)
        for message in errors:
            form.add_error(target if target in form.fields else None, message)


def flash_errors(request: HttpRequest, form: forms.Form) -> None:
    """Show a form's errors as messages, for small forms posted from another page (a cancel box
    on an agenda) that send the person back there instead of showing the form again."""
    for errors in form.errors.values():
        for message in errors:
            messages.error(request, str(message))
