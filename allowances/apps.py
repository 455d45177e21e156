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
