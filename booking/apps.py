from django.apps import AppConfig


class BookingConfig(AppConfig):
    name = "booking"
    verbose_name = "Booking"

    def ready(self) -> None:
        # Registered here so that the dashboard never imports booking (frontend/dashboard.py).
        from booking.cards import organisation_card
        from frontend.dashboard import register_card

        register_card(organisation_card)
