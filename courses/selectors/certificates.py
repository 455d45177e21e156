"""Reads of certificates: the owner's own, and the public lookup by verification code."""

from courses.models import Certificate
from courses.services.certificates import CODE_LENGTH, certificate_code_normalise


def certificate_get_by_code(*, code: str) -> Certificate | None:
    """The certificate with this code as typed (any case, spaces or dashes), or None."""
    normalised = certificate_code_normalise(code)
    if len(normalised) != CODE_LENGTH:
        return None
    return Certificate.objects.filter(code=normalised).select_related("user").first()


def certificate_get_for_owner(*, owner_id: int, code: str) -> Certificate | None:
    """The certificate with this code if it belongs to `owner_id`, else None (as if unknown)."""
    found = certificate_get_by_code(code=code)
    return found if found is not None and found.user_id == owner_id else None
