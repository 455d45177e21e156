from booking.views import client, coordinator, counsellor, feed, groups

app_name = "booking"

urlpatterns = [
    *client.urlpatterns,
    *counsellor.urlpatterns,
    *coordinator.urlpatterns,
    *feed.urlpatterns,
    *groups.urlpatterns,
]
