from booking.views import client, counsellor, feed

app_name = "booking"

urlpatterns = [*client.urlpatterns, *counsellor.urlpatterns, *feed.urlpatterns]
