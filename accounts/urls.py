from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("profile/", views.profile, name="profile"),
    path("profile/counsellor/", views.counsellor_profile, name="counsellor_profile"),
    path("language/", views.language_set, name="language_set"),
]
