"""Booking pages: `client` (find a counsellor, book, my appointments) and `counsellor`
(availability, agenda). Each module declares its own `urlpatterns`; booking/urls.py joins them."""
