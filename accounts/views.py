from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import selectors, services
from accounts.forms import CounsellorProfileForm, ProfileForm
from accounts.models import Role
from accounts.permissions import role_required
from frontend.forms import apply_errors


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    user = request.user
    if request.method == "POST":
        form = ProfileForm(request.POST)
        if form.is_valid():
            try:
                services.user_profile_update(
                    user=user,
                    display_name=form.cleaned_data["display_name"],
                    country_of_origin=form.cleaned_data["country_of_origin"],
                    country_of_residence=form.cleaned_data["country_of_residence"],
                    time_zone=form.cleaned_data["time_zone"],
                    language=form.cleaned_data["language"],
                    data_saver=form.cleaned_data["data_saver"],
                    read_receipts=form.cleaned_data["read_receipts"],
                    languages=form.language_codes(),
                )
            except ValidationError as error:
                apply_errors(form, error, {"languages": "language_1"})
            else:
                translation.activate(user.language)
                messages.success(request, _("Your profile is saved."))
                response = redirect("accounts:profile")
                _set_language_cookie(response, user.language)
                return response
    else:
        codes = selectors.user_language_codes(user=user)
        form = ProfileForm(initial=ProfileForm.initial_for(user, codes))
    return render(request, "accounts/profile.html", {"form": form})


@role_required(Role.COUNSELLOR)
def counsellor_profile(request: HttpRequest) -> HttpResponse:
    profile = selectors.counsellor_profile_get(user=request.user)
    if request.method == "POST":
        form = CounsellorProfileForm(request.POST)
        if form.is_valid():
            try:
                services.counsellor_profile_update(user=request.user, **form.cleaned_data)
            except ValidationError as error:
                apply_errors(form, error, {"languages": "language_1"})
            else:
                messages.success(request, _("Your counsellor profile is saved."))
                return redirect("accounts:counsellor_profile")
    else:
        initial = {"accepting_new_clients": True}
        if profile is not None:
            initial = {
                "bio": profile.bio,
                "accepting_new_clients": profile.accepting_new_clients,
                "countries": [c.country for c in profile.countries.all()],
                "topics": [t.topic for t in profile.topics.all()],
            }
        form = CounsellorProfileForm(initial=initial)
    return render(request, "accounts/counsellor_profile.html", {"form": form, "profile": profile})


def _set_language_cookie(response: HttpResponse, language: str) -> None:
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE or 60 * 60 * 24 * 365,
        samesite="Lax",
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=False,
    )


@require_POST
def language_set(request: HttpRequest) -> HttpResponse:
    """The language switcher: remembered in a cookie, and in the profile when signed in."""
    language = request.POST.get("language", "")
    if language not in dict(settings.LANGUAGES):
        return HttpResponseBadRequest(_("This language is not available."))
    next_url = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = "/"
    if request.user.is_authenticated:
        services.user_language_set(user=request.user, language=language)
    response = HttpResponseRedirect(next_url)
    _set_language_cookie(response, language)
    return response
