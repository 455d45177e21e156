from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict[str, object]:
    user = getattr(request, "user", None)
    signed_in = bool(user and user.is_authenticated)
    return {
        "LANGUAGE_CHOICES": settings.LANGUAGES,
        "data_saver": bool(signed_in and user.data_saver),  # type: ignore[union-attr]
        "DEBUG": settings.DEBUG,
        "SUPPORT_EMAIL": settings.SUPPORT_EMAIL,
    }
