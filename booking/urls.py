from booking.views import client, counsellor, feed, groups

app_name = "booking"

urlpatterns = [*client.urlpatterns, *counsellor.urlpatterns, *feed.urlpatterns, *groups.urlpatterns]
