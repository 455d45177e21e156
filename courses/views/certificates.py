"""Certificates: the learner's printable page and PDF, and the public verification page.

A certificate's own page is its owner's alone (anyone else, staff included, is told it does not
exist; staff see certificates on the progress pages). The verification page needs no account:
anyone holding a code (printed on the certificate, with the address) can check it; lookups are
limited per connection like reference-code checks, so codes cannot be tried in bulk.
"""

from urllib.parse import urlencode

from babel.dates import format_date
from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path, reverse
from django.utils.translation import get_language, gettext_lazy, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.reference import locale_for, zone_for
from counselling.views.intake import lookup_rate_limited, too_many_lookups
from courses.certificate_pdf import CertificateText, certificate_pdf
from courses.models import Certificate
from courses.selectors import certificates as selectors
from courses.services.certificates import certificate_code_display


class VerifyForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Verification code"),
        max_length=40,
        help_text=gettext_lazy("12 letters and numbers, as printed on the certificate, e.g. K7M2-QX9P-4HTD."),
        widget=forms.TextInput(
            attrs={"autocapitalize": "characters", "autocomplete": "off", "spellcheck": "false", "dir": "ltr"}
        ),
    )


def verify_url(code: str) -> str:
    """The public address that checks `code`, as printed on the certificate."""
    return (
        f"{settings.SITE_URL.rstrip('/')}{reverse('courses:certificate_verify')}?{urlencode({'code': code})}"
    )


def issued_on(certificate: Certificate) -> str:
    """The issue date in the current language, on the learner's calendar (their time zone)."""
    day = certificate.issued_at.astimezone(zone_for(certificate.user.time_zone)).date()
    return format_date(day, "long", locale=locale_for(get_language() or "en"))


def certificate_text(certificate: Certificate) -> CertificateText:
    hours = ngettext("%(hours)s hour of learning", "%(hours)s hours of learning", certificate.hours) % {
        "hours": certificate.hours
    }
    return CertificateText(
        heading=_("Certificate of completion"),
        certifies=_("This certifies that"),
        name=certificate.learner_name,
        completed=_("has completed the course"),
        course=certificate.course_title,
        details=f"{hours} · {issued_on(certificate)}",
        code_label=_("Verification code:"),
        code=certificate_code_display(certificate.code),
        check_label=_("Check that this certificate is genuine at"),
        url=verify_url(certificate.code),
    )


def _own_certificate(request: HttpRequest, code: str) -> Certificate:
    found = selectors.certificate_get_for_owner(owner_id=request.user.pk, code=code)
    if found is None:
        raise Http404
    return found


@login_required
@require_GET
def certificate(request: HttpRequest, code: str) -> HttpResponse:
    """The learner's certificate as a page they can print, with a link to the PDF."""
    found = _own_certificate(request, code)
    return render(
        request,
        "courses/certificates/certificate.html",
        {"certificate": found, "text": certificate_text(found)},
    )


@login_required
@require_GET
def certificate_pdf_download(request: HttpRequest, code: str) -> HttpResponse:
    """The certificate as a PDF file (A4, landscape)."""
    found = _own_certificate(request, code)
    response = HttpResponse(certificate_pdf(certificate_text(found)), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="certificate-{certificate_code_display(found.code)}.pdf"'
    )
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
def certificate_verify(request: HttpRequest) -> HttpResponse:
    """Anyone: is this code a genuine certificate? Its holder, course and date if so."""
    form = VerifyForm(request.GET if "code" in request.GET else None)
    found = None
    checked = False
    if form.is_bound:
        if lookup_rate_limited(request, scope="certificate"):
            return too_many_lookups(request)
        if form.is_valid():
            checked = True
            found = selectors.certificate_get_by_code(code=form.cleaned_data["code"])
    return render(
        request,
        "courses/certificates/verify.html",
        {
            "form": form,
            "checked": checked,
            "found": found,
            "issued_on": issued_on(found) if found else "",
            "code": certificate_code_display(found.code) if found else "",
        },
    )


urlpatterns: list[URLPattern] = [
    path("courses/verify/", certificate_verify, name="certificate_verify"),
    path("courses/certificates/<str:code>/", certificate, name="certificate"),
    path("courses/certificates/<str:code>/pdf", certificate_pdf_download, name="certificate_pdf"),
]
