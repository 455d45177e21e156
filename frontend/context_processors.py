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
        # Counselling and booking pages offer migrants and visitors a way out in one tap.
        "quick_exit_url": settings.QUICK_EXIT_URL if _counselling_page(request, user) else "",
    }


def _counselling_page(request: HttpRequest, user: object) -> bool:
    match = getattr(request, "resolver_match", None)
    if match is None or match.app_name not in ("counselling", "booking"):
        return False
    roles = getattr(user, "role_set", frozenset())
    return not (roles and "migrant" not in roles)  # staff at work do not need it
