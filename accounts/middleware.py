from collections.abc import Callable

from allauth.core.exceptions import RateLimited
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.cache import patch_cache_control

from accounts.permissions import requires_mfa
from accounts.selectors import user_has_totp


class UserLanguageMiddleware:
    """A signed-in person sees the interface language saved in their profile, on every device."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.language:
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
        return self.get_response(request)


class MFARequiredMiddleware:
    """Counsellors, coordinators and admins set up TOTP before they can use anything else."""

    # Paths that stay reachable while MFA is not set up (no loop through the setup page).
    ALLOWED_PREFIXES = (
        "/accounts/2fa/",
        "/accounts/logout/",
        "/accounts/reauthenticate/",
        # allauth lets nobody add an authenticator before their e-mail address is verified.
        "/accounts/email/",
        "/accounts/confirm-email/",
        "/accounts/phone/",
        "/accounts/language/",
        "/healthz",
        "/help/",
        "/offline/",
        "/sw.js",
        "/manifest.webmanifest",
    )

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.path.startswith(self.ALLOWED_PREFIXES)
            and not request.path.startswith(settings.STATIC_URL)
            and requires_mfa(user)
            and not user_has_totp(user=user)
        ):
            return redirect(reverse("mfa_activate_totp"))
        return self.get_response(request)


class RateLimitedMiddleware:
    """A rate limit hit deep inside a flow (e.g. a second SMS to one number within 30 s)
    answers with the friendly 429 page instead of an error page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, RateLimited):
            return render(request, "429.html", status=429)
        return None


class PrivateCacheMiddleware:
    """Pages for a signed-in person are theirs: no shared cache (a proxy, a café's box) keeps them."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not response.has_header("Cache-Control"):
            patch_cache_control(response, private=True, no_cache=True)
        return response
