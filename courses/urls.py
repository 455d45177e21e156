from courses.views import authoring, certificates, learning, offline, player, reports

app_name = "courses"

urlpatterns = [
    # Course authors: courses, modules, lessons, H5P uploads (courses.views.authoring).
    *authoring.urlpatterns,
    # The sandboxed H5P player and the content store's files (courses.views.player).
    *player.urlpatterns,
    # Progress tables, CSV, charts for authors and coordinators (courses.views.reports).
    *reports.urlpatterns,
    # Certificates: the learner's page and PDF, the public verification page (courses.views.certificates).
    *certificates.urlpatterns,
    # Offline manifests of lessons, for "Save for offline" (courses.views.offline).
    *offline.urlpatterns,
    # Learners: catalogue, my learning, course pages and lessons (courses.views.learning). Last,
    # because `courses/<slug>/` would otherwise swallow fixed paths such as `courses/author/`.
    *learning.urlpatterns,
]
