"""Closing a period under real concurrency (PostgreSQL): one set of entitlements, one ledger
transaction, one audit event, however many coordinators press the button at once."""

from datetime import date

import pytest

from accounts.models import Role
from allowances.models import AuditEvent, Entitlement, LedgerTransaction, RuleVersion
from allowances.services.audit import audit_verify
from allowances.services.ledger import ledger_is_balanced
from allowances.services.periods import period_close, period_for
from allowances.services.programmes import rule_update
from tests.allowances.factories import make_participant, make_programme
from tests.concurrency import run_together
from tests.factories import make_user

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_coordinators_closing_one_period_at_once_make_one_set_of_entitlements():
    coordinator = make_user(Role.COORDINATOR, mfa=False)
    programme = make_programme(coordinator=coordinator)
    for _ in range(5):
        make_participant(programme=programme, lessons_on=[date(2025, 3, 3)])
    colleagues = [coordinator] + [
        make_user(Role.COORDINATOR, mfa=False, organisation=coordinator.organisation) for _ in range(5)
    ]
    period = period_for(programme=programme, day=date(2025, 3, 1))

    outcomes = run_together(
        [
            lambda actor=actor: period_close(programme=programme, period=period, actor=actor)
            for actor in colleagues
        ]
    )

    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    assert sum(o.closed_now for o in outcomes) == 1
    assert {(o.entitlements, o.total_minor) for o in outcomes} == {(5, 5000)}
    assert Entitlement.objects.count() == 5
    assert LedgerTransaction.objects.count() == 1
    assert AuditEvent.objects.filter(action="period.close").count() == 1
    assert ledger_is_balanced() and audit_verify().intact


def test_a_rule_edit_racing_a_closing_never_changes_the_version_the_period_used():
    coordinator = make_user(Role.COORDINATOR, mfa=False)
    programme = make_programme(coordinator=coordinator, rule={"min_lessons_completed": 1})
    make_participant(programme=programme, lessons_on=[date(2025, 3, 3)])
    period = period_for(programme=programme, day=date(2025, 3, 1))

    outcomes = run_together(
        [
            lambda: period_close(programme=programme, period=period, actor=coordinator),
            lambda: rule_update(programme=programme, actor=coordinator, min_lessons_completed=7),
        ]
    )

    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    period.refresh_from_db()
    used = RuleVersion.objects.get(pk=period.rule_version_id)
    entitlements = Entitlement.objects.filter(period=period)
    # Whichever went first, the version the period used still says what the period applied.
    assert used.used_at is not None
    assert all(e.rule_version_id == used.pk for e in entitlements)
    assert entitlements.count() == (1 if used.min_lessons_completed == 1 else 0)
