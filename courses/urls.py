from courses.views import authoring, learning, player, reports

app_name = "courses"

urlpatterns = [
    # Learners: catalogue, my learning, lessons, certificates (courses.views.learning).
    *learning.urlpatterns,
    # Course authors: courses, modules, lessons, H5P uploads (courses.views.authoring).
    *authoring.urlpatterns,
    # The sandboxed H5P player and the content store's files (courses.views.player).
    *player.urlpatterns,
    # Progress tables, CSV, charts for authors and coordinators (courses.views.reports).
    *reports.urlpatterns,
]
