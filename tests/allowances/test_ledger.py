"""The ledger: balanced, append-only, corrected only by reversal, once."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import Organisation, Role
from allowances.models import LedgerAccount, LedgerEntry, LedgerTransaction, Programme
from allowances.services.ledger import (
    Leg,
    account_balance,
    account_for,
    ledger_is_balanced,
    ledger_post,
    ledger_reverse,
)
from config.append_only import AppendOnlyError
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def make_programme(currency: str = "EUR") -> Programme:
    coordinator = make_user(Role.COORDINATOR, mfa=False)
    return Programme.objects.create(
        name=f"Connect {currency}",
        funding_source="Demo donor",
        grant_code="GR-1",
        currency=currency,
        period=Programme.Period.MONTHLY,
        amount_per_period_minor=1000,
        cap_per_period_minor=1500,
        lifetime_cap_minor=12000,
        methods=["airtime"],
        organisation=coordinator.organisation or Organisation.objects.create(name="Org", country="DE"),
        created_by=coordinator,
    )


@pytest.fixture
def accounts():
    programme = make_programme()
    return (
        account_for(programme=programme, kind=LedgerAccount.Kind.FUNDING),
        account_for(programme=programme, kind=LedgerAccount.Kind.ENTITLEMENTS),
        account_for(programme=programme, kind=LedgerAccount.Kind.FEES),
    )


def test_a_balanced_transaction_is_recorded_with_its_entries(accounts):
    funding, granted, _fees = accounts
    posted = ledger_post(
        kind="entitlement", memo="grant", legs=[Leg(granted, 500), Leg(funding, -500)], idempotency_key="k1"
    )
    assert sorted(posted.entries.values_list("amount_minor", flat=True)) == [-500, 500]
    assert (account_balance(granted), account_balance(funding)) == (500, -500)


@pytest.mark.parametrize(
    ("amounts", "code"),
    [
        ([500, -499], "unbalanced"),
        ([500], "too_few_entries"),
        ([500, 0, -500], "zero_entry"),
        ([5.5, -5.5], "not_integer"),
        ([True, -1], "not_integer"),
    ],
)
def test_a_wrong_transaction_is_refused_with_a_reason_and_writes_nothing(accounts, amounts, code):
    funding, granted, fees = accounts
    legs = [Leg(account, amount) for account, amount in zip([granted, funding, fees], amounts, strict=False)]
    with pytest.raises(ValidationError) as refused:
        ledger_post(kind="entitlement", memo="x", legs=legs, idempotency_key="bad")
    assert refused.value.code == code
    assert not LedgerTransaction.objects.exists()
    assert not LedgerEntry.objects.exists()


def test_currencies_must_balance_each_on_their_own(accounts):
    _funding, granted, _fees = accounts
    afghani = account_for(programme=make_programme("AFN"), kind=LedgerAccount.Kind.FUNDING)
    with pytest.raises(ValidationError) as refused:
        ledger_post(
            kind="funding", memo="x", legs=[Leg(granted, 500), Leg(afghani, -500)], idempotency_key="fx"
        )
    assert refused.value.code == "unbalanced"


def test_the_same_key_again_is_the_same_transaction_and_other_amounts_are_refused(accounts):
    funding, granted, _fees = accounts
    legs = [Leg(granted, 700), Leg(funding, -700)]
    first = ledger_post(kind="entitlement", memo="grant", legs=legs, idempotency_key="same")
    assert ledger_post(kind="entitlement", memo="grant", legs=legs, idempotency_key="same") == first
    with pytest.raises(ValidationError) as refused:
        ledger_post(
            kind="entitlement", memo="grant", legs=[Leg(granted, 9), Leg(funding, -9)], idempotency_key="same"
        )
    assert refused.value.code == "idempotency_conflict"
    assert LedgerTransaction.objects.count() == 1


def test_a_reversal_negates_every_entry_and_a_second_one_is_refused(accounts):
    funding, granted, _fees = accounts
    posted = ledger_post(
        kind="entitlement", memo="g", legs=[Leg(granted, 300), Leg(funding, -300)], idempotency_key="r"
    )
    reversal = ledger_reverse(original=posted, memo="wrong person")
    assert reversal.reverses == posted
    assert (account_balance(granted), account_balance(funding)) == (0, 0)
    with pytest.raises(ValidationError) as again:
        ledger_reverse(original=posted, memo="twice")
    assert again.value.code == "already_reversed"
    with pytest.raises(ValidationError) as of_reversal:
        ledger_reverse(original=reversal, memo="undo the undo")
    assert of_reversal.value.code == "reverse_reversal"
    assert LedgerTransaction.objects.count() == 2


def test_ledger_rows_cannot_be_changed_or_deleted_through_django(accounts):
    funding, granted, _fees = accounts
    posted = ledger_post(
        kind="entitlement", memo="g", legs=[Leg(granted, 1), Leg(funding, -1)], idempotency_key="i"
    )
    entry = posted.entries.first()
    entry.amount_minor = 2
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        LedgerEntry.objects.filter(pk=entry.pk).update(amount_minor=2)
    with pytest.raises(AppendOnlyError):
        LedgerTransaction.objects.all().delete()
    assert sorted(LedgerEntry.objects.values_list("amount_minor", flat=True)) == [-1, 1]


amounts = st.lists(st.integers(min_value=-(10**12), max_value=10**12).filter(bool), min_size=1, max_size=6)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batches=st.lists(amounts, min_size=1, max_size=5), reverse_some=st.lists(st.booleans(), max_size=5))
def test_any_sequence_of_balanced_posts_and_reversals_keeps_the_ledger_balanced(
    accounts, batches, reverse_some
):
    funding, granted, fees = accounts
    with transaction.atomic():
        posted = []
        for n, batch in enumerate(batches):
            # Spread the amounts over two accounts; the funding account takes the other side.
            legs = [Leg(granted if i % 2 else fees, amount) for i, amount in enumerate(batch)]
            if sum(batch):
                legs.append(Leg(funding, -sum(batch)))
            if len(legs) < 2:
                continue
            posted.append(ledger_post(kind="funding", memo="p", legs=legs, idempotency_key=f"h{n}"))
        for original, reverse in zip(posted, reverse_some, strict=False):
            if reverse:
                ledger_reverse(original=original, memo="undo")
        assert ledger_is_balanced()
        total = sum(account_balance(a) for a in (funding, granted, fees))
        assert total == 0
        for original, reverse in zip(posted, reverse_some, strict=False):
            if reverse:
                pair = LedgerEntry.objects.filter(transaction__in=[original, original.reversed_by])
                assert sum(pair.values_list("amount_minor", flat=True)) == 0
        transaction.set_rollback(True)


@pytest.mark.postgres
def test_postgresql_refuses_updates_and_deletes_of_ledger_rows(accounts):
    funding, granted, _fees = accounts
    posted = ledger_post(
        kind="entitlement", memo="g", legs=[Leg(granted, 5), Leg(funding, -5)], idempotency_key="pg"
    )
    for statement in (
        "UPDATE allowances_ledgerentry SET amount_minor = 6 WHERE transaction_id = %s",
        "DELETE FROM allowances_ledgerentry WHERE transaction_id = %s",
        "UPDATE allowances_ledgertransaction SET memo = 'changed' WHERE id = %s",
        "DELETE FROM allowances_ledgertransaction WHERE id = %s",
    ):
        with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement, [posted.pk])
    assert sorted(posted.entries.values_list("amount_minor", flat=True)) == [-5, 5]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_postgresql_refuses_an_unbalanced_transaction_at_commit():
    programme = make_programme()
    funding = account_for(programme=programme, kind=LedgerAccount.Kind.FUNDING)
    with pytest.raises(IntegrityError), transaction.atomic():
        posted = LedgerTransaction.objects.create(kind="funding", memo="raw", idempotency_key="raw")
        LedgerEntry.objects.create(transaction=posted, account=funding, amount_minor=10, currency="EUR")
    assert not LedgerTransaction.objects.filter(idempotency_key="raw").exists()
