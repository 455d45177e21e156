"""Who may do what, by role. Views use `role_required`; templates use `user.has_role`."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from accounts.models import Role, User

STAFF_ROLES = frozenset({Role.COUNSELLOR, Role.COORDINATOR, Role.INTERPRETER, Role.ADMIN})
# Roles that must belong to an organisation.
ORGANISATION_ROLES = frozenset({Role.COUNSELLOR, Role.COORDINATOR, Role.INTERPRETER})


def requires_mfa(user: User) -> bool:
    return bool(user.role_set & set(settings.MFA_REQUIRED_ROLES))


def role_required(*roles: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Signed-in users holding at least one of `roles`; others get 403 (anonymous: login)."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @login_required
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.role_set & set(roles):  # type: ignore[union-attr]
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
