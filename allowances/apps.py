from django.apps import AppConfig


class AllowancesConfig(AppConfig):
    name = "allowances"
    verbose_name = "Communication allowances"

    def ready(self) -> None:
        # Registered here so that the dashboard never imports allowances (frontend/dashboard.py).
        from allowances.cards import assessment_card, coordinator_allowances_card, my_allowance_card
        from frontend.dashboard import register_card

        register_card(assessment_card)
        register_card(my_allowance_card)
        register_card(coordinator_allowances_card)

        from allowances.services.contacts import contact_context, contact_fingerprint
        from counselling.crypto import SealedField, sealed_field_register

        sealed_field_register(
            SealedField(
                label="payout contacts",
                model="allowances.PayoutContact",
                field="value_sealed",
                columns=("user_id",),
                context=lambda contact: contact_context(contact.user_id),
                # The fingerprint's key is derived from the first key: it changes with it.
                resealed=lambda contact, value: {"fingerprint": contact_fingerprint(value)},
            )
        )
