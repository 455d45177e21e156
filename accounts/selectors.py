from allauth.mfa.models import Authenticator

from accounts.models import CounsellorProfile, User, UserLanguage


def user_language_codes(*, user: User) -> list[str]:
    """The user's languages, preferred first."""
    return list(UserLanguage.objects.filter(user=user).order_by("position").values_list("code", flat=True))


def user_has_totp(*, user: User) -> bool:
    return bool(Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists())


def counsellor_profile_get(*, user: User) -> CounsellorProfile | None:
    return (
        CounsellorProfile.objects.filter(user=user)
        .select_related("user", "user__organisation")
        .prefetch_related("countries", "topics", "user__languages")
        .first()
    )
