"""Public information requests: anyone asks about return and reintegration (no account
needed), a coordinator assigns the request to a counsellor who serves the country and speaks
the language, the counsellor answers, and the requester reads the answer with a reference code.

Also the pieces that feedback shares: reference codes, and the call-back contact, which is
stored sealed (counselling.crypto), shown only to the people handling the request, and never
written to logs, URLs or notices.

Reference codes and double submits: the form carries a random token; the reference is an HMAC
of that token (keyed by the server's secret) written in an unambiguous alphabet. The same form
sent twice yields the same reference, which is unique in the database, so a second tap or a
retry on a bad connection finds the first request instead of making another (the database
decides, even for two submits at the same instant). Without the token nobody can compute the
reference; with 12 characters of a 31-letter alphabet (~59 bits) and rate-limited lookups,
guessing one is hopeless.
"""

import logging
import secrets

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables

from accounts.models import Role, User
from accounts.notify import person_notify
from accounts.phone import normalise_phone
from accounts.reference import LANGUAGE_CODES
from accounts.sms import get_sms_backend
from counselling import crypto
from counselling.models import Feedback, InformationRequest
from counselling.selectors.intake import (
    information_request_counsellor_choices,
    intake_country_codes,
    organisation_country_codes,
)

logger = logging.getLogger(__name__)

QUESTION_MAX_CHARS = 2000
ANSWER_MAX_CHARS = 4000
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
REFERENCE_GROUPS = 3
REFERENCE_GROUP_LENGTH = 4
Contact = InformationRequest.Contact

# The languages a request may be written in: the site's interface languages and the languages
# counsellors are matched on.
REQUEST_LANGUAGES = frozenset({code for code, _name in settings.LANGUAGES} | set(LANGUAGE_CODES))


# --- References ----------------------------------------------------------------------------


def form_token_new() -> str:
    """A fresh token for one form (hidden field); the reference is derived from it."""
    return secrets.token_urlsafe(24)


def reference_from_token(token: str, *, purpose: str) -> str:
    """The reference code for a form token, e.g. ``K7M2-QX9P-4HTD``."""
    digest = salted_hmac(f"counselling.reference.{purpose}", token, algorithm="sha256").digest()
    number = int.from_bytes(digest, "big")
    letters = []
    for _i in range(REFERENCE_GROUPS * REFERENCE_GROUP_LENGTH):
        number, index = divmod(number, len(REFERENCE_ALPHABET))
        letters.append(REFERENCE_ALPHABET[index])
    groups = [
        "".join(letters[i : i + REFERENCE_GROUP_LENGTH])
        for i in range(0, len(letters), REFERENCE_GROUP_LENGTH)
    ]
    return "-".join(groups)


def reference_normalise(raw: str) -> str:
    """The reference as stored, from what a person typed (any case, spaces or dashes), or ""
    when it cannot be one."""
    letters = "".join(ch for ch in (raw or "").upper() if ch.isalnum())
    size = REFERENCE_GROUPS * REFERENCE_GROUP_LENGTH
    if len(letters) != size or any(ch not in REFERENCE_ALPHABET for ch in letters):
        return ""
    return "-".join(letters[i : i + REFERENCE_GROUP_LENGTH] for i in range(0, size, REFERENCE_GROUP_LENGTH))


# --- Contact for a call back ---------------------------------------------------------------


@sensitive_variables("contact", "value")
def contact_clean(*, method: str, contact: str) -> str:
    """The contact in its stored form (E.164 phone, e-mail), "" for none; ValidationError on
    the `contact` field when it does not fit the method."""
    value = (contact or "").strip()
    if method == Contact.NONE:
        return ""
    if method not in (Contact.PHONE, Contact.EMAIL):
        raise ValidationError({"contact_method": _("Choose how we may reach you.")})
    if not value:
        message = (
            _("Write your phone number, or choose to check with your reference code.")
            if method == Contact.PHONE
            else _("Write your e-mail address, or choose to check with your reference code.")
        )
        raise ValidationError({"contact": message})
    if method == Contact.PHONE:
        try:
            return normalise_phone(value)
        except ValidationError as error:
            raise ValidationError({"contact": error.messages}) from None
    if len(value) > 254:
        raise ValidationError({"contact": _("This e-mail address is too long.")})
    try:
        validate_email(value)
    except ValidationError:
        raise ValidationError({"contact": _("This is not a valid e-mail address.")}) from None
    local, _at, domain = value.rpartition("@")
    return f"{local}@{domain.lower()}"


def contact_context(model: str, reference: str) -> str:
    """The encryption context of a row's contact: its model and reference (neither changes)."""
    return f"counselling.{model}:{reference}:contact"


@sensitive_variables("contact")
def contact_seal(*, contact: str, model: str, reference: str) -> str:
    return crypto.encrypt(contact, context=contact_context(model, reference)) if contact else ""


def contact_unseal(*, sealed: str, model: str, reference: str) -> str:
    """The contact in clear; "" when none was left. Raises crypto.DecryptionError."""
    return crypto.decrypt(sealed, context=contact_context(model, reference)) if sealed else ""


@sensitive_variables("contact")
def contact_notify(*, row: InformationRequest | Feedback, templates: str) -> str:
    """Tell someone who left a contact on `row` (and may have no account) that there is news,
    with the link to the check page. Returns the channel used. The notice names no reference,
    question or answer: whoever sees the phone screen learns only that there is something to read."""
    method, sealed, reference, language = row.contact_method, row.contact_sealed, row.reference, row.language
    model = type(row).__name__
    if method == Contact.NONE or not sealed:
        return "none"
    try:
        contact = contact_unseal(sealed=sealed, model=model, reference=reference)
    except crypto.DecryptionError:
        # Ids only: never the contact, which we could not read anyway.
        logger.exception("cannot unseal the contact of %s %s", model, reference[:4])
        return "none"
    check = "counselling:feedback_check" if model == "Feedback" else "counselling:intake_check"
    context = {"url": settings.SITE_URL.rstrip("/") + reverse(check)}
    with translation.override(language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE):
        subject = render_to_string(f"{templates}/subject.txt", context).strip()
        if method == Contact.EMAIL:
            body = render_to_string(f"{templates}/email.txt", context)
            EmailMessage(subject=subject, body=body, to=[contact]).send()
            return "email"
        text = render_to_string(f"{templates}/sms.txt", context).strip()
        get_sms_backend().send(to=contact, body=text)
        return "sms"


# --- Information requests ------------------------------------------------------------------


@sensitive_variables("question", "contact", "text", "cleaned")
@transaction.atomic
def information_request_create(
    *,
    country: str,
    language: str,
    topic: str,
    question: str,
    contact_method: str = Contact.NONE,
    contact: str = "",
    requester: User | None = None,
    form_token: str = "",
) -> InformationRequest:
    """Store a question from the public form, with its contact sealed. The same form sent again
    (same `form_token`) returns the stored request instead of a second one."""
    errors: dict[str, str | list[str]] = {}
    if country not in intake_country_codes():
        errors["country"] = _("Choose a country from the list.")
    if language not in REQUEST_LANGUAGES:
        errors["language"] = _("Choose a language from the list.")
    if topic not in InformationRequest.Topic.values:
        errors["topic"] = _("Choose a topic from the list.")
    text = (question or "").strip()
    if not text:
        errors["question"] = _("Write your question.")
    elif len(text) > QUESTION_MAX_CHARS:
        errors["question"] = _("Please write at most %(n)d characters.") % {"n": QUESTION_MAX_CHARS}
    cleaned = ""
    try:
        cleaned = contact_clean(method=contact_method, contact=contact)
    except ValidationError as error:
        for field, messages in error.message_dict.items():
            errors[field] = messages
    if errors:
        raise ValidationError(errors)
    reference = reference_from_token(form_token or form_token_new(), purpose="intake")
    earlier = InformationRequest.objects.filter(reference=reference).first()
    if earlier is not None:
        return _same_request(earlier, question=text, requester=requester)
    row = InformationRequest(
        reference=reference,
        country=country,
        language=language,
        topic=topic,
        question=text,
        contact_method=contact_method,
        contact_sealed=contact_seal(contact=cleaned, model="InformationRequest", reference=reference),
        requester=requester if requester is not None and requester.is_authenticated else None,
    )
    try:
        with transaction.atomic():
            row.save(force_insert=True)
    except IntegrityError:
        # The same form arrived twice at once: the first one stored it.
        earlier = InformationRequest.objects.filter(reference=reference).first()
        if earlier is None:
            raise
        return _same_request(earlier, question=text, requester=requester)
    logger.info("information request %s received (country %s)", row.pk, row.country)
    return row


def _same_request(
    earlier: InformationRequest, *, question: str, requester: User | None
) -> InformationRequest:
    # A form's token names one question; anything else sent with it is not a replay.
    same_person = earlier.requester_id is None or (
        requester is not None and earlier.requester_id == requester.pk
    )
    if earlier.question != question or not same_person:
        raise ValidationError(
            _("This form has expired. Please reload the page and send your question again.")
        )
    return earlier


def information_request_may_triage(*, request: InformationRequest, user: User) -> bool:
    """Coordinators of an organisation in the request's country (see selectors.intake)."""
    return (
        user.is_active
        and user.has_role(Role.COORDINATOR)
        and user.organisation is not None
        and request.country in organisation_country_codes(organisation=user.organisation)
    )


def _check_triage(request: InformationRequest, user: User) -> None:
    if not information_request_may_triage(request=request, user=user):
        raise PermissionDenied(_("Only coordinators of an organisation in this country can do this."))


@transaction.atomic
def information_request_assign(
    *, request: InformationRequest, counsellor: User, by: User
) -> InformationRequest:
    """A coordinator gives the request to a counsellor of their organisation who serves its
    country and speaks its language; the counsellor is told (never the question)."""
    _check_triage(request, by)
    locked = InformationRequest.objects.select_for_update().get(pk=request.pk)
    if locked.status not in (InformationRequest.Status.NEW, InformationRequest.Status.ASSIGNED):
        raise ValidationError(_("This request is already answered or closed."))
    organisation = by.organisation
    if (
        organisation is None
        or not information_request_counsellor_choices(request=locked, organisation=organisation)
        .filter(pk=counsellor.pk)
        .exists()
    ):
        raise ValidationError(
            {
                "counsellor": _(
                    "Choose a counsellor of your organisation who serves this country and speaks "
                    "the language of the request."
                )
            }
        )
    if locked.assigned_to_id == counsellor.pk:
        return locked
    locked.status = InformationRequest.Status.ASSIGNED
    locked.assigned_to = counsellor
    locked.assigned_by = by
    locked.assigned_at = timezone.now()
    locked.save(update_fields=["status", "assigned_to", "assigned_by", "assigned_at"])
    request_id = locked.pk
    transaction.on_commit(lambda: _notify_assigned(request_id))
    return locked


def _notify_assigned(request_id: int) -> None:
    row = InformationRequest.objects.select_related("assigned_to").filter(pk=request_id).first()
    if row is None or row.assigned_to is None:
        return
    person_notify(
        recipient=row.assigned_to,
        templates="counselling/intake/notices/assigned",
        context={
            "recipient": row.assigned_to,
            "url": settings.SITE_URL.rstrip("/") + reverse("counselling:intake_mine_detail", args=[row.pk]),
        },
    )


@sensitive_variables("answer", "text")
@transaction.atomic
def information_request_answer(
    *, request: InformationRequest, counsellor: User, answer: str
) -> InformationRequest:
    """The assigned counsellor answers (or corrects their answer). The requester, if they left a
    contact, is told once that an answer is ready: never the answer itself."""
    locked = InformationRequest.objects.select_for_update().get(pk=request.pk)
    if locked.assigned_to_id != counsellor.pk or not counsellor.is_active:
        raise PermissionDenied(_("Only the counsellor this request is assigned to can answer it."))
    if locked.status not in (InformationRequest.Status.ASSIGNED, InformationRequest.Status.ANSWERED):
        raise ValidationError(_("This request is closed."))
    text = (answer or "").strip()
    if not text:
        raise ValidationError({"answer": _("Write your answer.")})
    if len(text) > ANSWER_MAX_CHARS:
        raise ValidationError(
            {"answer": _("Please write at most %(n)d characters.") % {"n": ANSWER_MAX_CHARS}}
        )
    first = locked.status == InformationRequest.Status.ASSIGNED
    locked.answer = text
    locked.status = InformationRequest.Status.ANSWERED
    locked.answered_at = timezone.now()
    locked.save(update_fields=["answer", "status", "answered_at"])
    if first and locked.contact_method != Contact.NONE:
        request_id = locked.pk
        transaction.on_commit(lambda: _notify_answered(request_id))
    return locked


def _notify_answered(request_id: int) -> None:
    row = InformationRequest.objects.filter(pk=request_id).first()
    if row is None:
        return
    contact_notify(row=row, templates="counselling/intake/notices/answered")


@transaction.atomic
def information_request_close(*, request: InformationRequest, by: User) -> InformationRequest:
    """A coordinator closes a request (answered, a duplicate, or not a question). One closed
    before anyone was assigned is recorded as handled by that coordinator."""
    _check_triage(request, by)
    locked = InformationRequest.objects.select_for_update().get(pk=request.pk)
    if locked.status == InformationRequest.Status.CLOSED:
        return locked
    if locked.assigned_to_id is None:
        # The database wants a handler for every request past "new".
        locked.assigned_to = by
        locked.assigned_by = by
        locked.assigned_at = timezone.now()
    locked.status = InformationRequest.Status.CLOSED
    locked.save(update_fields=["status", "assigned_to", "assigned_by", "assigned_at"])
    return locked


def information_request_contact_read(*, request: InformationRequest, reader: User) -> str:
    """The contact in clear for the coordinators who triage the request and its counsellor;
    each reading is logged (ids only). "" when none was left."""
    if not request.contact_sealed:
        return ""
    if request.assigned_to_id != reader.pk and not information_request_may_triage(
        request=request, user=reader
    ):
        raise PermissionDenied(_("You cannot see how to reach this person."))
    contact = contact_unseal(
        sealed=request.contact_sealed, model="InformationRequest", reference=request.reference
    )
    logger.info("contact of information request %s read by user %s", request.pk, reader.pk)
    return contact
