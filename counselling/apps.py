from django.apps import AppConfig


class CounsellingConfig(AppConfig):
    name = "counselling"
    verbose_name = "Counselling"

    def ready(self) -> None:
        from counselling import signals  # noqa: F401 - connects the receivers
        from counselling.crypto import SealedField, sealed_field_register
        from counselling.services.intake import contact_context

        sealed_field_register(
            SealedField(
                label="case notes",
                model="counselling.CaseNote",
                field="body_sealed",
                columns=("ref", "client_id"),
                context=lambda note: note.encryption_context,
            )
        )
        for model, label in (
            ("InformationRequest", "information request contacts"),
            ("Feedback", "feedback contacts"),
        ):
            sealed_field_register(
                SealedField(
                    label=label,
                    model=f"counselling.{model}",
                    field="contact_sealed",
                    columns=("reference",),
                    context=lambda row, model=model: contact_context(model, row.reference),
                )
            )
