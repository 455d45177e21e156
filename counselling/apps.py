from django.apps import AppConfig


class CounsellingConfig(AppConfig):
    name = "counselling"
    verbose_name = "Counselling"

    def ready(self) -> None:
        from counselling import signals  # noqa: F401 - connects the receivers
