from django.forms.renderers import TemplatesSetting


class FormRenderer(TemplatesSetting):
    """Every form (ours and allauth's) renders with the same accessible field markup."""

    form_template_name = "frontend/forms/form.html"
    field_template_name = "frontend/forms/field.html"
