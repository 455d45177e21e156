from booking.views import client, counsellor

app_name = "booking"

urlpatterns = [*client.urlpatterns, *counsellor.urlpatterns]
