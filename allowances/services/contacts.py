"""Payout contacts: where a person's allowance goes (a phone number or a wallet reference).

The value is sealed at rest with counselling.crypto (AES-GCM, keys from FIELD_ENCRYPTION_KEYS),
with a context naming the row, so a sealed value copied to another person's row fails to open.
Beside it, `fingerprint` is an HMAC-SHA256 of the normalised value under a key derived (HKDF)
from the first field-encryption key with a label of its own: two people with the same number
are found with an index lookup, nobody with the database alone can test a guessed number, and
SECRET_KEY (which signs cookies, and may be rotated for other reasons) plays no part.

Rotating FIELD_ENCRYPTION_KEYS changes the fingerprint key too: `rotate_field_keys` re-seals
each contact and refreshes its fingerprint (registered in allowances/apps.py). Until it has run,
a contact sealed with the old key is not matched with one sealed with the new key.
"""

import base64
import hashlib
import hmac
import re
from functools import lru_cache

import phonenumbers
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables

from accounts.models import User
from allowances.models import Batch, Method, PayoutContact
from allowances.services.audit import audit_append
from counselling import crypto

FINGERPRINT_LABEL = b"passage/allowances/payout-contact-fingerprint/v1"
PHONE_METHODS = frozenset({Method.AIRTIME, Method.DATA_BUNDLE})
WALLET = re.compile(r"^[A-Z0-9]{4,64}$")


def _first_key() -> bytes:
    configured = settings.FIELD_ENCRYPTION_KEYS
    if isinstance(configured, str):
        configured = [k for k in configured.split(",") if k.strip()]
    if not configured:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS is empty: payout contacts cannot be stored.")
    return base64.urlsafe_b64decode(configured[0].strip())


@lru_cache(maxsize=4)
def _derive(raw: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=FINGERPRINT_LABEL).derive(raw)


def _fingerprint_key() -> bytes:
    return _derive(_first_key())


@sensitive_variables("value", "number")
def contact_normalise(*, method: str, value: str, region: str | None = None) -> str:
    """The one spelling of a contact: a phone number in E.164 (+2348031234567); for mobile money
    a phone number or, failing that, a wallet reference in capitals without spaces or dashes.
    Raises ValidationError (never showing the value back) when it is neither."""
    if method not in Method.values:
        raise ValidationError(_("Choose a way of paying."), code="method")
    text = (value or "").strip()
    if method != Method.VOUCHER:
        try:
            number = phonenumbers.parse(text, (region or "").upper() or None)
        except phonenumbers.NumberParseException:
            number = None
        if number is not None and phonenumbers.is_valid_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        if method in PHONE_METHODS:
            raise ValidationError(
                _("This is not a phone number we can send to. Write it with + and the country code."),
                code="phone",
            )
    reference = re.sub(r"[\s\-./]", "", text).upper()
    if not WALLET.match(reference):
        raise ValidationError(
            _("A wallet or voucher reference has 4 to 64 letters and digits."), code="reference"
        )
    return reference


@sensitive_variables("normalised")
def contact_fingerprint(normalised: str) -> str:
    """The keyed hash of a normalised contact (64 hex digits)."""
    return hmac.new(_fingerprint_key(), normalised.encode(), hashlib.sha256).hexdigest()


def contact_context(user_id: int) -> str:
    # Names the row (one contact per user) and the field.
    return f"allowances.payoutcontact:{user_id}:value"


@sensitive_variables("value", "normalised")
def payout_contact_set(*, user: User, method: str, value: str, actor: User | None = None) -> PayoutContact:
    """Store (or replace) where `user`'s allowance goes, sealed, with its fingerprint."""
    normalised = contact_normalise(method=method, value=value, region=user.country_of_residence or None)
    with transaction.atomic():
        contact, _created = PayoutContact.objects.select_for_update().get_or_create(
            user=user,
            defaults={"method": method, "value_sealed": "", "fingerprint": ""},
        )
        contact.method = method
        contact.value_sealed = crypto.encrypt(normalised, context=contact_context(user.pk))
        contact.fingerprint = contact_fingerprint(normalised)
        contact.updated_at = timezone.now()
        contact.save()
        # Never the number, nor its fingerprint, in the audit log.
        audit_append(actor=actor or user, action="payout_contact.set", obj=contact, data={"method": method})
    return contact


def payout_contact_value(contact: PayoutContact) -> str:
    """The clear contact; only the payout file (what the operator needs) calls this."""
    return crypto.decrypt(contact.value_sealed, context=contact_context(contact.user_id))


def duplicate_contacts(*, batch: Batch) -> dict[int, list[int]]:
    """Beneficiaries of `batch` whose contact's fingerprint another beneficiary shares (in the
    batch or not): {beneficiary id: [the other people's ids]}."""
    in_batch = set(batch.payments.values_list("entitlement__beneficiary_id", flat=True))
    mine = dict(PayoutContact.objects.filter(user_id__in=in_batch).values_list("user_id", "fingerprint"))
    sharing: dict[str, list[int]] = {}
    for user_id, fingerprint in PayoutContact.objects.filter(fingerprint__in=set(mine.values())).values_list(
        "user_id", "fingerprint"
    ):
        sharing.setdefault(fingerprint, []).append(user_id)
    found: dict[int, list[int]] = {}
    for user_id, fingerprint in mine.items():
        others = sorted(u for u in sharing.get(fingerprint, []) if u != user_id)
        if others:
            found[user_id] = others
    return found
