"""Demo allowances from `seed_demo`: a closed, paid month that Amina sees in "My allowance", a
report with groups large enough to show, a balanced ledger and an intact audit chain."""

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.models import User
from allowances import demo
from allowances.models import (
    Assessment,
    AuditEvent,
    Batch,
    Consent,
    Entitlement,
    LedgerEntry,
    LedgerTransaction,
    Payment,
    PayoutContact,
    Period,
    Programme,
    RuleVersion,
)
from allowances.selectors.reports import (
    SMALL,
    UNLINKED,
    export_rows,
    ledger_amounts,
    programme_report,
    pseudonym,
)
from allowances.services.audit import audit_verify
from allowances.services.ledger import ledger_is_balanced
from booking.models import Appointment
from courses.models import Enrolment, LessonProgress

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(settings, tmp_path):
    settings.H5P_ROOT = tmp_path / "h5p"
    call_command("seed_demo", stdout=io.StringIO())


def programme() -> Programme:
    return Programme.objects.get(name=demo.NAME)


def snapshot() -> tuple[object, ...]:
    return (
        *(
            model.objects.count()
            for model in (
                Programme,
                RuleVersion,
                Consent,
                Assessment,
                PayoutContact,
                Period,
                Entitlement,
                Batch,
                Payment,
                LedgerTransaction,
                LedgerEntry,
                AuditEvent,
                Appointment,
            )
        ),
        sorted(LessonProgress.objects.values_list("pk", "completed_at", "updated_at")),
        sorted(Enrolment.objects.values_list("pk", "enrolled_at")),
        sorted(Consent.objects.values_list("pk", "given_at")),
        sorted(Payment.objects.values_list("pk", "status")),
    )


def test_seeding_twice_changes_nothing(seeded):
    before = snapshot()
    demo.seed(write=lambda line: None)
    call_command("seed_demo", stdout=io.StringIO())
    assert snapshot() == before


def test_amina_sees_a_delivered_payment_and_why(seeded, client):
    amina = User.objects.get(email=demo.AMINA)
    entitlement = Entitlement.objects.get(beneficiary=amina)
    assert entitlement.amount_minor == 1000
    assert entitlement.period.closed_at is not None
    assert len(entitlement.evidence["lessons"]) == 1
    assert len(entitlement.evidence["sessions"]) == 1
    payment = Payment.objects.get(entitlement=entitlement)
    assert payment.status == Payment.Status.DELIVERED
    assert payment.method == "data_bundle"
    batch = payment.batch
    assert batch.prepared_by.email == demo.MAKER
    assert batch.approved_by.email == demo.CHECKER

    client.force_login(amina)
    page = client.get(reverse("allowances:mine")).content.decode()

    assert "€10.00" in page
    assert "Received" in page
    assert "Data bundle" in page
    assert "Lesson finished: <bdi>Greetings</bdi>" in page


def test_the_ledger_balances_the_audit_chain_holds_and_the_report_equals_the_ledger(seeded):
    assert ledger_is_balanced()
    verdict = audit_verify()
    assert verdict.intact, verdict.reason
    assert verdict.events > 0

    connect = programme()
    period = Period.objects.get(programme=connect, closed_at__isnull=False)
    report = programme_report(programme=connect, period=period)
    entitled = Entitlement.objects.filter(period=period)
    assert report.amounts.entitled == sum(e.amount_minor for e in entitled)
    ledger = ledger_amounts(programme=connect, period=period)
    assert (report.amounts.entitled, report.amounts.delivered, report.amounts.fees) == (
        ledger.entitled,
        ledger.delivered,
        ledger.fees,
    )
    assert report.amounts.delivered == sum(
        p.amount_minor for p in Payment.objects.filter(batch__period=period, status=Payment.Status.DELIVERED)
    )
    # Demo learner 8 gave no payout contact: entitled, not paid.
    assert report.amounts.owed == report.amounts.entitled - report.amounts.delivered > 0
    # Groups large enough for the report to show them.
    assert report.beneficiaries >= SMALL
    assert report.recipients_count >= SMALL
    assert report.outcomes_recipients.people is not None
    assert report.outcomes_others.people is not None
    rows = list(export_rows(programme=connect, period=period))
    people = [row for row in rows if row.pseudonym != UNLINKED]
    assert len(people) == entitled.count()
    assert sum(row.entitled for row in rows) == report.amounts.entitled
    assert sum(row.delivered for row in people) == report.amounts.delivered


def test_each_csv_row_carries_its_own_entitled_amount(seeded):
    connect = programme()
    period = Period.objects.get(programme=connect, closed_at__isnull=False)
    rows = list(export_rows(programme=connect, period=period))
    entitlements = Entitlement.objects.filter(period=period).order_by("pk")
    assert [(row.pseudonym, row.entitled) for row in rows] == [
        (pseudonym(programme=connect, user_id=e.beneficiary_id), e.amount_minor) for e in entitlements
    ]
