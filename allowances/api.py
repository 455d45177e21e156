"""Provider callbacks: `POST /api/allowances/callbacks/{provider}`.

No session: the provider signs the raw body with the secret it shares with us
(`ALLOWANCE_CALLBACK_SECRETS`, one per provider) and sends
`X-Passage-Signature: sha256=<hex HMAC-SHA256 of the body>`. Body (JSON):
`{"event_id", "reference" (the payment's idempotency key), "status" ("delivered" | "failed"),
"amount_minor", "currency", "fee_minor", "transaction_id", "reason"}`.

A replayed event answers 200 with `"changed": false`; an unknown reference 404; any other
refusal 400 with a translated message; nothing is changed by a refused callback.
"""

import hashlib
import hmac
import json

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Router

from allowances.providers import ProviderOutcome, provider_get
from allowances.services.payments import provider_event_apply
from config.api import error_response

router = Router(tags=["allowances"])
MAX_BODY_BYTES = 64 * 1024
SIGNATURE_HEADER = "X-Passage-Signature"


def _secret(provider: str) -> str:
    return str((settings.ALLOWANCE_CALLBACK_SECRETS or {}).get(provider, ""))


def _signed(body: bytes, secret: str, header: str) -> bool:
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header.strip())


def _outcome(data: object) -> ProviderOutcome:
    if not isinstance(data, dict):
        raise ValidationError(_("The body is one JSON object."), code="invalid")
    for name in ("event_id", "reference", "status"):
        if not isinstance(data.get(name), str) or not data[name]:
            raise ValidationError(_("“%(name)s” is missing.") % {"name": name}, code="invalid")
    for name in ("amount_minor", "currency"):
        if name not in data:
            raise ValidationError(_("“%(name)s” is missing.") % {"name": name}, code="invalid")
    currency = data["currency"]
    return ProviderOutcome(
        event_id=data["event_id"],
        reference=data["reference"],
        status=data["status"],
        amount_minor=data["amount_minor"],
        currency=currency.upper() if isinstance(currency, str) else "?",
        fee_minor=data.get("fee_minor", 0),
        transaction_id=str(data.get("transaction_id") or "")[:128],
        reason=str(data.get("reason") or "")[:300],
    )


@router.post(
    "/allowances/callbacks/{provider}", auth=None, url_name="allowances_callback", include_in_schema=True
)
def provider_callback(request: HttpRequest, provider: str) -> HttpResponse:
    """What a provider reports about one payment; applied once."""
    secret = _secret(provider)
    if provider_get(provider) is None or not secret:
        return error_response(request, 404, "not_found", _("This provider does not send reports here."))
    body = request.body
    if len(body) > MAX_BODY_BYTES:
        return error_response(request, 400, "too_large", _("This is too large to send at once."))
    if not _signed(body, secret, request.headers.get(SIGNATURE_HEADER, "")):
        return error_response(request, 401, "bad_signature", _("The signature of this report is wrong."))
    try:
        outcome = _outcome(json.loads(body))
        applied = provider_event_apply(provider=provider, outcome=outcome)
    except (UnicodeDecodeError, ValueError):
        return error_response(request, 400, "invalid", _("This is not readable JSON."))
    except ValidationError as error:
        status = 404 if error.code == "unknown_reference" else 400
        return error_response(request, status, error.code or "invalid", " ".join(error.messages))
    return HttpResponse(
        json.dumps(
            {"payment": applied.payment.pk, "status": applied.payment.status, "changed": applied.changed}
        ),
        content_type="application/json",
    )
