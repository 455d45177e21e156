"""Providers: the payout file and its result file, the simulated provider, and signed callbacks.
A report applied twice changes nothing; a bad one is refused clearly and changes nothing."""

import csv
import hashlib
import hmac
import io
import json

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from allowances.models import LedgerTransaction, Payment, ProviderEvent
from allowances.providers import ProviderOutcome
from allowances.services import payments as services
from tests.allowances.payment_helpers import approved_batch, closed_period, entitled, programme_with_team

pytestmark = pytest.mark.django_db
SECRET = "test-callback-secret"


@pytest.fixture
def sent(settings):
    """A payout-file batch of two payments, sent."""
    settings.ALLOWANCE_CALLBACK_SECRETS = {"payout_file": SECRET}
    programme, maker, checker = programme_with_team(amount=1250, cap=1250)
    period = closed_period(programme)
    entitled(period, phone="+2348031230001")
    entitled(period, phone="+2348031230002")
    batch = approved_batch(period, maker, checker, provider="payout_file")
    services.batch_send(batch=batch, actor=maker)
    return batch, maker


def results(rows, columns=("reference", "status", "operator_transaction_id", "fee", "reason")) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    writer.writerows(rows)
    return out.getvalue().encode()


def test_the_payout_file_has_one_row_per_payment_in_major_units_with_the_clear_number(sent):
    batch, maker = sent
    rows = list(csv.DictReader(io.StringIO(services.batch_export(batch=batch, actor=maker).file.decode())))
    payments = list(batch.payments.order_by("pk"))
    assert [r["reference"] for r in rows] == [str(p.idempotency_key) for p in payments]
    assert {r["amount"] for r in rows} == {"12.50"}
    assert {r["currency"] for r in rows} == {"EUR"} and {r["method"] for r in rows} == {"airtime"}
    assert [r["recipient"] for r in rows] == ["+2348031230001", "+2348031230002"]


def test_amounts_use_the_currency_digits():
    from allowances.money import major_text, parse_major

    assert major_text(500, "JPY") == "500"
    assert major_text(1234, "KWD") == "1.234"
    assert parse_major("12.5", "EUR") == 1250
    for bad in ("-1", "1.005", "abc", "NaN"):
        with pytest.raises(ValueError):
            parse_major(bad, "EUR")


def test_a_result_file_applies_once_and_posts_the_ledger_once(sent):
    batch, maker = sent
    first, second = batch.payments.order_by("pk")
    content = results(
        [
            [first.idempotency_key, "delivered", "OP-1", "0.25", ""],
            [second.idempotency_key, "failed", "", "", "no such number"],
        ]
    )
    report = services.result_file_apply(batch=batch, content=content, actor=maker)
    assert (report.applied, report.already) == (2, 0)
    again = services.result_file_apply(batch=batch, content=content, actor=maker)
    assert (again.applied, again.already) == (0, 2)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.fee_minor, first.provider_reference) == ("delivered", 25, "OP-1")
    assert (second.status, second.failure_reason) == ("failed", "no such number")
    assert LedgerTransaction.objects.filter(payment=first).count() == 1
    assert ProviderEvent.objects.count() == 2


def test_a_result_file_with_a_bad_line_applies_nothing_and_lists_every_bad_line(sent):
    batch, maker = sent
    first, second = batch.payments.order_by("pk")
    content = results(
        [
            [first.idempotency_key, "delivered", "OP-1", "", "", "12.50", "EUR"],
            [second.idempotency_key, "delivered", "OP-2", "", "", "12.49", "EUR"],
            ["00000000-0000-0000-0000-000000000000", "delivered", "OP-3", "", "", "12.50", "EUR"],
            [first.idempotency_key, "paid", "OP-4", "", "", "12.50", "EUR"],
            [second.idempotency_key, "delivered", "OP-5", "-1", "", "12.50", "EUR"],
            [second.idempotency_key, "delivered", "OP-6", "", "", "12.50", "XYZ"],
            [second.idempotency_key, "delivered", "OP-7", "", "", "12.505", "EUR"],
        ],
        columns=("reference", "status", "operator_transaction_id", "fee", "reason", "amount", "currency"),
    )
    with pytest.raises(ValidationError) as caught:
        services.result_file_apply(batch=batch, content=content, actor=maker)
    messages = caught.value.messages
    assert [m.split(":")[0] for m in messages] == [f"Line {n}" for n in (3, 4, 5, 6, 7, 8)]
    assert "amount of the payment" in messages[0] and "reference" in messages[1]
    assert set(Payment.objects.values_list("status", flat=True)) == {"sent"}
    assert not ProviderEvent.objects.exists() and not LedgerTransaction.objects.exists()


def test_a_file_that_is_not_a_result_file_is_refused(sent):
    batch, maker = sent
    with pytest.raises(ValidationError, match="Columns missing"):
        services.result_file_apply(batch=batch, content=b"a,b\n1,2\n", actor=maker)


def test_uploading_results_through_the_page_shows_the_bad_lines(sent, client_for):
    batch, maker = sent
    url = reverse("allowances:batch_results", args=[batch.pk])
    upload = io.BytesIO(results([["nope", "delivered", "", "", ""]]))
    upload.name = "results.csv"
    response = client_for(maker).post(url, {"file": upload})
    assert response.status_code == 400
    assert "Line 2" in response.content.decode()


# --- Callbacks --------------------------------------------------------------------------------


def post_callback(client, body: dict | str, secret: str = SECRET, provider: str = "payout_file"):
    raw = body if isinstance(body, str) else json.dumps(body)
    signature = "sha256=" + hmac.new(secret.encode(), raw.encode(), hashlib.sha256).hexdigest()
    return client.post(
        reverse("api:allowances_callback", kwargs={"provider": provider}),
        raw,
        content_type="application/json",
        headers={"X-Passage-Signature": signature},
    )


def body_for(payment: Payment, **changes: object) -> dict:
    return {
        "event_id": "evt-1",
        "reference": str(payment.idempotency_key),
        "status": "delivered",
        "amount_minor": payment.amount_minor,
        "currency": payment.currency,
        "fee_minor": 5,
        "transaction_id": "OP-9",
        **changes,
    }


def test_a_signed_callback_is_applied_once(sent, client):
    batch, _maker = sent
    payment = batch.payments.first()
    first = post_callback(client, body_for(payment))
    assert first.status_code == 200 and first.json()["changed"] is True
    replay = post_callback(client, body_for(payment))
    assert replay.status_code == 200 and replay.json()["changed"] is False
    assert LedgerTransaction.objects.filter(payment=payment).count() == 1
    payment.refresh_from_db()
    assert (payment.status, payment.fee_minor) == ("delivered", 5)


@pytest.mark.parametrize(
    ("changes", "status", "code"),
    [
        ({"reference": "00000000-0000-0000-0000-000000000000"}, 404, "unknown_reference"),
        ({"reference": "not-a-uuid"}, 404, "unknown_reference"),
        ({"amount_minor": 999}, 400, "wrong_amount"),
        ({"amount_minor": -1250}, 400, "amount"),
        ({"amount_minor": 12.5}, 400, "amount"),
        ({"amount_minor": "1250"}, 400, "amount"),
        ({"currency": "XYZ"}, 400, "currency"),
        ({"currency": "USD"}, 400, "wrong_currency"),
        ({"fee_minor": -5}, 400, "fee"),
        ({"status": "paid"}, 400, "status"),
    ],
)
def test_a_wrong_callback_is_refused_clearly_and_changes_nothing(sent, client, changes, status, code):
    batch, _maker = sent
    payment = batch.payments.first()
    response = post_callback(client, body_for(payment, **changes))
    assert response.status_code == status
    assert response.json()["error"]["code"] == code and response.json()["error"]["message"]
    assert set(Payment.objects.values_list("status", flat=True)) == {"sent"}
    assert not ProviderEvent.objects.exists() and not LedgerTransaction.objects.exists()


def test_a_callback_with_a_bad_signature_or_an_unknown_provider_is_refused(sent, client):
    batch, _maker = sent
    payment = batch.payments.first()
    assert post_callback(client, body_for(payment), secret="wrong").status_code == 401
    assert post_callback(client, body_for(payment), provider="simulated").status_code == 404
    assert post_callback(client, "{not json").status_code == 400
    assert not ProviderEvent.objects.exists()


def test_a_failure_after_delivery_is_refused(sent):
    batch, _maker = sent
    payment = batch.payments.first()
    ref = str(payment.idempotency_key)
    services.provider_event_apply(
        provider="payout_file", outcome=ProviderOutcome("e1", ref, "delivered", payment.amount_minor, "EUR")
    )
    with pytest.raises(ValidationError) as caught:
        services.provider_event_apply(
            provider="payout_file", outcome=ProviderOutcome("e2", ref, "failed", payment.amount_minor, "EUR")
        )
    assert caught.value.code == "transition"


def test_the_simulated_provider_is_deterministic():
    from allowances.providers.simulated import SimulatedProvider

    programme, maker, _checker = programme_with_team(amount=1000, cap=1000)
    period = closed_period(programme)
    entitled(period)
    batch = services.batch_prepare(period=period, provider="simulated", actor=maker).batch
    payment = batch.payments.get()
    provider = SimulatedProvider(failure_rate=0.5)
    assert provider.outcome_for(payment) == provider.outcome_for(payment)
    assert SimulatedProvider().outcome_for(payment).status == "delivered"
