"""Disbursements: payout contacts, batches with maker-checker, idempotent payments within caps,
the ledger on delivery, and the coordinators' pages."""

import uuid

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from accounts.models import Role
from allowances.models import AuditEvent, Batch, LedgerAccount, LedgerTransaction, Payment, PayoutContact
from allowances.services import payments as services
from allowances.services.audit import audit_verify
from allowances.services.contacts import (
    contact_normalise,
    duplicate_contacts,
    payout_contact_set,
    payout_contact_value,
)
from allowances.services.ledger import account_balance, account_for, ledger_is_balanced
from tests.allowances.payment_helpers import approved_batch, closed_period, entitled, programme_with_team
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def team():
    programme, maker, checker = programme_with_team(amount=1000, cap=1000)
    return programme, closed_period(programme), maker, checker


# --- Payout contacts ---------------------------------------------------------------------------


def test_phone_numbers_are_normalised_to_e164():
    assert contact_normalise(method="airtime", value="+234 803 123 4567") == "+2348031234567"
    assert contact_normalise(method="airtime", value="0803 123 4567", region="NG") == "+2348031234567"
    assert contact_normalise(method="mobile_money", value="wallet-ab12 cd") == "WALLETAB12CD"


@pytest.mark.parametrize("value", ["12", "letters only", ""])
def test_a_number_that_is_not_a_phone_is_refused_without_echoing_it(value):
    with pytest.raises(ValidationError) as caught:
        contact_normalise(method="airtime", value=value)
    assert value not in " ".join(caught.value.messages) or not value


def test_a_contact_is_sealed_at_rest_and_opens_only_for_its_row(migrant):
    contact = payout_contact_set(user=migrant, method="airtime", value="+2348031234567")
    stored = PayoutContact.objects.get(pk=contact.pk)
    assert "2348031234567" not in stored.value_sealed
    assert payout_contact_value(stored) == "+2348031234567"
    other = make_user(Role.MIGRANT)
    moved = PayoutContact.objects.create(
        user=other, method="airtime", value_sealed=stored.value_sealed, fingerprint="x"
    )
    with pytest.raises(Exception, match="integrity"):
        payout_contact_value(moved)
    assert not AuditEvent.objects.filter(data__icontains="2348031234567").exists()


def test_the_same_number_written_differently_has_one_fingerprint(migrant):
    other = make_user(Role.MIGRANT)
    a = payout_contact_set(user=migrant, method="airtime", value="+234 803 123 4567")
    b = payout_contact_set(user=other, method="mobile_money", value="+2348031234567")
    assert a.fingerprint == b.fingerprint
    assert len(a.fingerprint) == 64 and "2348031234567" not in a.fingerprint


def test_duplicates_are_found_in_and_outside_the_batch(team):
    _programme, period, maker, _checker = team
    a = entitled(period, phone="+2348030000001")
    b = entitled(period, phone="+2348030000001")
    entitled(period, phone="+2348030000002")
    outsider = make_user(Role.MIGRANT)
    payout_contact_set(user=outsider, method="airtime", value="+2348030000002")
    batch = services.batch_prepare(period=period, provider="simulated", actor=maker).batch
    found = duplicate_contacts(batch=batch)
    assert found[a.beneficiary_id] == [b.beneficiary_id]
    assert found[b.beneficiary_id] == [a.beneficiary_id]
    assert len(found) == 3
    assert outsider.pk in next(v for k, v in found.items() if k not in (a.beneficiary_id, b.beneficiary_id))


# --- Batches: maker-checker ---------------------------------------------------------------------


def test_a_batch_pays_every_entitlement_of_the_period_not_already_being_paid(team):
    _programme, period, maker, _checker = team
    first, second = entitled(period), entitled(period)
    without_contact = entitled(period, person=make_user(Role.MIGRANT))
    prepared = services.batch_prepare(period=period, provider="simulated", actor=maker)
    assert prepared.payments == 2 and prepared.without_contact == 1
    assert set(prepared.batch.payments.values_list("entitlement", flat=True)) == {first.pk, second.pk}
    third = entitled(period)
    again = services.batch_prepare(period=period, provider="simulated", actor=maker)
    assert list(again.batch.payments.values_list("entitlement", flat=True)) == [third.pk]
    assert without_contact.payments.count() == 0


def test_an_open_period_cannot_be_paid(team):
    _programme, period, maker, _checker = team
    entitled(period)
    period.closed_at = None
    period.save()
    with pytest.raises(ValidationError, match="Close the period"):
        services.batch_prepare(period=period, provider="simulated", actor=maker)


def test_a_coordinator_of_another_organisation_may_not_prepare(team):
    _programme, period, _maker, _checker = team
    entitled(period)
    with pytest.raises(PermissionDenied):
        services.batch_prepare(
            period=period, provider="simulated", actor=make_user(Role.COORDINATOR, mfa=False)
        )


def test_the_maker_cannot_approve_their_own_batch(team):
    _programme, period, maker, _checker = team
    entitled(period)
    batch = services.batch_prepare(period=period, provider="simulated", actor=maker).batch
    services.batch_submit(batch=batch, actor=maker)
    with pytest.raises(ValidationError) as caught:
        services.batch_approve(batch=batch, actor=maker)
    assert caught.value.code == "maker_checker"
    assert Batch.objects.get(pk=batch.pk).status == Batch.Status.SUBMITTED


def test_the_database_refuses_a_checker_who_is_the_maker(team):
    _programme, period, maker, _checker = team
    entitled(period)
    batch = services.batch_prepare(period=period, provider="simulated", actor=maker).batch
    with pytest.raises(IntegrityError), transaction.atomic():
        Batch.objects.filter(pk=batch.pk).update(status="approved", approved_by=maker)


def test_approval_with_duplicates_needs_an_explicit_acknowledgement_recorded_in_the_audit(team):
    _programme, period, maker, checker = team
    a = entitled(period, phone="+2348030000009")
    b = entitled(period, phone="+2348030000009")
    batch = services.batch_prepare(period=period, provider="simulated", actor=maker).batch
    services.batch_submit(batch=batch, actor=maker)
    with pytest.raises(ValidationError) as caught:
        services.batch_approve(batch=batch, actor=checker)
    assert caught.value.code == "duplicates"
    services.batch_approve(batch=batch, actor=checker, acknowledge_duplicates=True)
    event = AuditEvent.objects.filter(action="batch.approve").get()
    assert event.actor == checker
    assert event.data["duplicates_acknowledged"] == {
        str(a.beneficiary_id): [b.beneficiary_id],
        str(b.beneficiary_id): [a.beneficiary_id],
    }


def test_rejecting_a_batch_cancels_its_payments_so_they_can_be_prepared_again(team):
    _programme, period, maker, checker = team
    entitled(period)
    batch = services.batch_prepare(period=period, provider="simulated", actor=maker).batch
    services.batch_submit(batch=batch, actor=maker)
    services.batch_reject(batch=batch, actor=checker, reason="wrong period")
    assert list(batch.payments.values_list("status", flat=True)) == ["cancelled"]
    assert services.batch_prepare(period=period, provider="simulated", actor=maker).payments == 1


def test_every_state_change_is_audited_with_its_actor_and_the_chain_holds(team):
    _programme, period, maker, checker = team
    entitled(period)
    batch = approved_batch(period, maker, checker)
    services.batch_send(batch=batch, actor=maker)
    actions = list(AuditEvent.objects.filter(object_type="allowances.batch").values_list("action", "actor"))
    assert actions == [
        ("batch.prepare", maker.pk),
        ("batch.submit", maker.pk),
        ("batch.approve", checker.pk),
        ("batch.send", maker.pk),
        ("batch.close", None),
    ]
    assert audit_verify().intact


# --- Payments -----------------------------------------------------------------------------------


def test_the_same_idempotency_key_returns_the_first_payment(team):
    _programme, period, maker, _checker = team
    entitlement = entitled(period)
    batch = Batch.objects.create(
        programme=period.programme, period=period, provider="simulated", prepared_by=maker
    )
    key = uuid.uuid4()
    first = services.payment_request(entitlement=entitlement, batch=batch, actor=maker, idempotency_key=key)
    again = services.payment_request(entitlement=entitlement, batch=batch, actor=maker, idempotency_key=key)
    assert again.pk == first.pk and Payment.objects.count() == 1


def test_a_key_reused_for_another_entitlement_is_refused(team):
    _programme, period, maker, _checker = team
    a, b = entitled(period), entitled(period)
    batch = Batch.objects.create(
        programme=period.programme, period=period, provider="simulated", prepared_by=maker
    )
    key = uuid.uuid4()
    services.payment_request(entitlement=a, batch=batch, actor=maker, idempotency_key=key)
    with pytest.raises(ValidationError) as caught:
        services.payment_request(entitlement=b, batch=batch, actor=maker, idempotency_key=key)
    assert caught.value.code == "idempotency_conflict"


def test_a_second_active_payment_of_one_entitlement_is_refused_clearly(team):
    _programme, period, maker, _checker = team
    entitlement = entitled(period)
    batch = Batch.objects.create(
        programme=period.programme, period=period, provider="simulated", prepared_by=maker
    )
    services.payment_request(entitlement=entitlement, batch=batch, actor=maker, idempotency_key=uuid.uuid4())
    with pytest.raises(ValidationError) as caught:
        services.payment_request(
            entitlement=entitlement, batch=batch, actor=maker, idempotency_key=uuid.uuid4()
        )
    assert caught.value.code == "already_active"


def test_the_database_keeps_one_active_payment_per_entitlement(team):
    _programme, period, maker, _checker = team
    entitlement = entitled(period)
    batch = Batch.objects.create(
        programme=period.programme, period=period, provider="simulated", prepared_by=maker
    )
    fields = {
        "entitlement": entitlement,
        "batch": batch,
        "method": "airtime",
        "amount_minor": 1000,
        "currency": "EUR",
    }
    Payment.objects.create(idempotency_key=uuid.uuid4(), **fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        Payment.objects.create(idempotency_key=uuid.uuid4(), **fields)


def test_a_payment_over_the_lifetime_cap_is_refused():
    programme, maker, _checker = programme_with_team(amount=1000, cap=1000, lifetime_cap=1500)
    person = make_user(Role.MIGRANT)
    payout_contact_set(user=person, method="airtime", value="+2348031112222")
    january, february = closed_period(programme, 1), closed_period(programme, 2)
    first, second = entitled(january, person), entitled(february, person)
    batch1 = Batch.objects.create(
        programme=programme, period=january, provider="simulated", prepared_by=maker
    )
    batch2 = Batch.objects.create(
        programme=programme, period=february, provider="simulated", prepared_by=maker
    )
    services.payment_request(entitlement=first, batch=batch1, actor=maker, idempotency_key=uuid.uuid4())
    with pytest.raises(ValidationError) as caught:
        services.payment_request(entitlement=second, batch=batch2, actor=maker, idempotency_key=uuid.uuid4())
    assert caught.value.code == "cap_lifetime"


def test_an_entitlement_above_the_period_cap_is_refused(team):
    _programme, period, maker, _checker = team
    entitlement = entitled(period, amount=1500)
    batch = Batch.objects.create(
        programme=period.programme, period=period, provider="simulated", prepared_by=maker
    )
    with pytest.raises(ValidationError) as caught:
        services.payment_request(
            entitlement=entitlement, batch=batch, actor=maker, idempotency_key=uuid.uuid4()
        )
    assert caught.value.code == "cap_period"


def test_a_delivered_payment_posts_the_amount_and_fee_to_the_ledger_once(team):
    programme, period, maker, checker = team
    entitlement = entitled(period)
    failing = entitled(period, amount=913)  # the simulated provider fails amounts ending in 13
    batch = approved_batch(period, maker, checker)
    services.batch_send(batch=batch, actor=maker)
    delivered = Payment.objects.get(entitlement=entitlement)
    assert delivered.status == "delivered" and delivered.fee_minor == 10
    assert Payment.objects.get(entitlement=failing).status == "failed"
    posted = LedgerTransaction.objects.get(idempotency_key=f"payment:{delivered.pk}:delivered")
    assert posted.kind == "disbursement"
    payable = account_for(
        programme=programme, kind=LedgerAccount.Kind.PAYABLE, beneficiary=entitlement.beneficiary
    )
    assert account_balance(payable) == 1000
    assert account_balance(account_for(programme=programme, kind=LedgerAccount.Kind.FEES)) == 10
    assert account_balance(account_for(programme=programme, kind=LedgerAccount.Kind.FUNDING)) == -1010
    assert LedgerTransaction.objects.filter(payment__isnull=False).count() == 1  # nothing for the failure
    assert ledger_is_balanced()
    assert Batch.objects.get(pk=batch.pk).status == Batch.Status.CLOSED


def test_a_failed_payment_is_reissued_as_a_new_linked_payment_once(team):
    _programme, period, maker, checker = team
    entitled(period, amount=913)
    batch = approved_batch(period, maker, checker)
    services.batch_send(batch=batch, actor=maker)
    failed = Payment.objects.get(status="failed")
    key = uuid.uuid4()
    new = services.payment_reissue(payment=failed, actor=checker, idempotency_key=key)
    assert new.reissue_of == failed and new.status == "pending" and new.batch != batch
    assert new.batch.prepared_by == checker and new.batch.status == Batch.Status.DRAFT
    assert services.payment_reissue(payment=failed, actor=checker, idempotency_key=key).pk == new.pk
    with pytest.raises(ValidationError) as caught:
        services.payment_reissue(payment=failed, actor=checker, idempotency_key=uuid.uuid4())
    assert caught.value.code == "already_reissued"
    assert Payment.objects.get(pk=failed.pk).status == "failed"


def test_only_a_failed_payment_can_be_reissued(team):
    _programme, period, maker, _checker = team
    entitled(period)
    batch = services.batch_prepare(period=period, provider="simulated", actor=maker).batch
    with pytest.raises(ValidationError) as caught:
        services.payment_reissue(payment=batch.payments.get(), actor=maker, idempotency_key=uuid.uuid4())
    assert caught.value.code == "not_failed"


# --- Pages --------------------------------------------------------------------------------------


def test_a_coordinator_prepares_submits_and_another_approves_through_the_pages(team, client_for):
    _programme, period, maker, checker = team
    entitled(period, phone="+2348030000077")
    entitled(period, phone="+2348030000077")
    as_maker, as_checker = client_for(maker), client_for(checker)
    response = as_maker.post(reverse("allowances:batches"), {"period": period.pk, "provider": "payout_file"})
    batch = Batch.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "allowances:batch", args=[batch.pk]
    )
    as_maker.post(reverse("allowances:batch_submit", args=[batch.pk]))
    page = as_checker.get(reverse("allowances:batch", args=[batch.pk]))
    assert page.status_code == 200
    assert "Shared phone numbers or wallets" in page.content.decode()
    assert "2348030000077" not in page.content.decode()
    as_checker.post(reverse("allowances:batch_approve", args=[batch.pk]))
    assert Batch.objects.get().status == "submitted"  # duplicates not acknowledged
    as_checker.post(reverse("allowances:batch_approve", args=[batch.pk]), {"acknowledge_duplicates": "on"})
    assert Batch.objects.get().status == "approved"
    as_checker.post(reverse("allowances:batch_send", args=[batch.pk]))
    export = as_maker.get(reverse("allowances:batch_export", args=[batch.pk]))
    assert export.status_code == 200 and export["Cache-Control"] == "no-store"
    assert export.content.decode().count("+2348030000077") == 2
    assert AuditEvent.objects.filter(action="batch.export", actor=maker).exists()


def test_the_maker_approving_through_the_page_is_told_why_not(team, client_for):
    _programme, period, maker, _checker = team
    entitled(period)
    batch = services.batch_prepare(period=period, provider="simulated", actor=maker).batch
    services.batch_submit(batch=batch, actor=maker)
    response = client_for(maker).post(reverse("allowances:batch_approve", args=[batch.pk]), follow=True)
    assert "Someone other than the person who prepared" in response.content.decode()
    assert Batch.objects.get().status == "submitted"


def test_a_batch_of_another_organisation_does_not_exist_for_a_coordinator(team, client_for):
    _programme, period, maker, _checker = team
    entitled(period)
    batch = services.batch_prepare(period=period, provider="simulated", actor=maker).batch
    stranger = make_user(Role.COORDINATOR)
    assert client_for(stranger).get(reverse("allowances:batch", args=[batch.pk])).status_code == 404
    assert client_for(stranger).post(reverse("allowances:batch_submit", args=[batch.pk])).status_code == 404


def test_the_batch_list_shows_amounts_formatted_from_minor_units(team, client_for):
    _programme, period, maker, _checker = team
    entitled(period)
    services.batch_prepare(period=period, provider="simulated", actor=maker)
    page = client_for(maker).get(reverse("allowances:batches")).content.decode()
    assert "€10.00" in page


def test_reissuing_through_the_page(team, client_for):
    _programme, period, maker, checker = team
    entitled(period, amount=913)
    batch = approved_batch(period, maker, checker)
    services.batch_send(batch=batch, actor=maker)
    failed = Payment.objects.get()
    url = reverse("allowances:payment_reissue", args=[failed.pk])
    key = str(uuid.uuid4())
    client_for(checker).post(url, {"idempotency_key": key})
    client_for(checker).post(url, {"idempotency_key": key})
    assert Payment.objects.filter(reissue_of=failed).count() == 1
