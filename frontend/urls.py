from django.urls import path

from frontend import views

app_name = "frontend"

urlpatterns = [
    path("", views.home, name="home"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("help/", views.help_page, name="help"),
    path("offline/", views.offline, name="offline"),
    path("sw.js", views.service_worker, name="service_worker"),
    path("manifest.webmanifest", views.manifest, name="manifest"),
    path("dev/mail/", views.dev_mail, name="dev_mail"),
    path("dev/sms/", views.dev_sms, name="dev_sms"),
]
