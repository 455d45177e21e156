"""Periods: calendar bounds in UTC days, closing into entitlements with their evidence, one
ledger transaction per period, idempotent closing, and the beat task."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from allowances.models import AuditEvent, Entitlement, LedgerAccount, LedgerEntry, LedgerTransaction, Period
from allowances.selectors.eligibility import entitlement_amount_from_evidence
from allowances.services.audit import audit_verify
from allowances.services.ledger import account_balance, account_for, ledger_is_balanced
from allowances.services.periods import (
    period_bounds,
    period_close,
    period_for,
    period_preview,
    periods_close_ended,
    periods_ensure,
)
from allowances.services.programmes import rule_update
from allowances.tasks import periods_close
from tests.allowances.factories import make_assessment, make_participant, make_programme, noon

pytestmark = pytest.mark.django_db

MARCH = date(2025, 3, 1)
IN_MARCH = [date(2025, 3, 3), date(2025, 3, 10), date(2025, 3, 31)]


def closed(programme, day=MARCH, actor=None):
    period = period_for(programme=programme, day=day)
    return period_close(programme=programme, period=period, actor=actor)


# --- Bounds -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "day", "bounds"),
    [
        ("weekly", date(2025, 3, 5), (date(2025, 3, 3), date(2025, 3, 9))),
        ("weekly", date(2025, 3, 3), (date(2025, 3, 3), date(2025, 3, 9))),
        ("weekly", date(2025, 3, 9), (date(2025, 3, 3), date(2025, 3, 9))),
        ("weekly", date(2024, 12, 31), (date(2024, 12, 30), date(2025, 1, 5))),
        ("monthly", date(2024, 2, 10), (date(2024, 2, 1), date(2024, 2, 29))),
        ("monthly", date(2025, 12, 31), (date(2025, 12, 1), date(2025, 12, 31))),
    ],
)
def test_periods_are_monday_to_sunday_weeks_or_calendar_months(kind, day, bounds):
    assert period_bounds(kind=kind, day=day) == bounds


def test_periods_ensure_creates_each_period_from_the_programme_start_once():
    programme = make_programme(period="weekly", created_at=noon(date(2025, 3, 5)))
    first = periods_ensure(programme=programme, today=date(2025, 3, 20))
    again = periods_ensure(programme=programme, today=date(2025, 3, 20))
    assert [p.starts_on for p in first] == [date(2025, 3, 3), date(2025, 3, 10), date(2025, 3, 17)]
    assert [p.pk for p in again] == [p.pk for p in first]
    assert Period.objects.filter(programme=programme).count() == 3


# --- Who is entitled ------------------------------------------------------------------------


def test_a_person_with_a_completed_lesson_in_the_period_is_entitled_with_evidence():
    programme = make_programme(amount=1500, rule={"min_lessons_completed": 1})
    person = make_participant(programme=programme, lessons_on=[date(2025, 3, 31)])
    result = closed(programme)
    entitlement = Entitlement.objects.get()
    assert (result.entitlements, result.total_minor, result.closed_now) == (1, 1500, True)
    assert entitlement.beneficiary == person
    assert entitlement.amount_minor == 1500 and entitlement.currency == "EUR"
    evidence = entitlement.evidence
    assert [item["on"] for item in evidence["lessons"]] == ["2025-03-31"]
    assert evidence["active_days"] == ["2025-03-31"]
    assert evidence["consent_id"] == person.allowance_consents.get().pk
    assert evidence["rule_version_id"] == entitlement.rule_version_id
    assert evidence["lifetime_before_minor"] == 0


def test_activity_outside_the_period_does_not_count():
    programme = make_programme()
    make_participant(programme=programme, lessons_on=[date(2025, 2, 28), date(2025, 4, 1)])
    assert closed(programme).entitlements == 0
    assert not LedgerTransaction.objects.exists()


def test_a_person_without_consent_or_with_consent_withdrawn_is_not_entitled():
    programme = make_programme()
    make_participant(programme=programme, lessons_on=IN_MARCH, consent=False)
    withdrawn = make_participant(programme=programme, lessons_on=IN_MARCH)
    withdrawn.allowance_consents.update(withdrawn_at=noon(date(2025, 3, 15)))
    assert closed(programme).entitlements == 0


def test_consent_given_after_the_period_does_not_count_for_it():
    programme = make_programme()
    late = make_participant(programme=programme, lessons_on=IN_MARCH)
    late.allowance_consents.update(given_at=noon(date(2025, 4, 1)))
    assert closed(programme).entitlements == 0


def test_learning_days_count_progress_reports_xapi_statements_and_lessons_each_day_once():
    programme = make_programme(
        rule={"min_lessons_completed": 0, "min_sessions_attended": 0, "min_active_days": 3}
    )
    enough = make_participant(
        programme=programme,
        lessons_on=[date(2025, 3, 3)],
        learning_days=[date(2025, 3, 3), date(2025, 3, 4)],
        xapi_days=[date(2025, 3, 5)],
    )
    short = make_participant(
        programme=programme, learning_days=[date(2025, 3, 3)] * 3, xapi_days=[date(2025, 3, 4)]
    )
    closed(programme)
    entitlement = Entitlement.objects.get()
    assert entitlement.beneficiary == enough
    assert entitlement.evidence["active_days"] == ["2025-03-03", "2025-03-04", "2025-03-05"]
    assert not Entitlement.objects.filter(beneficiary=short).exists()


def test_only_attended_sessions_count_not_missed_ones():
    programme = make_programme(
        rule={"min_lessons_completed": 0, "min_active_days": 0, "min_sessions_attended": 2}
    )
    attended = make_participant(programme=programme, sessions_on=[date(2025, 3, 4), date(2025, 3, 20)])
    missed = make_participant(
        programme=programme, sessions_on=[date(2025, 3, 4)], no_shows_on=[date(2025, 3, 20)]
    )
    closed(programme)
    assert list(Entitlement.objects.values_list("beneficiary", flat=True)) == [attended.pk]
    sessions = Entitlement.objects.get().evidence["sessions"]
    assert len(sessions) == 2
    assert not Entitlement.objects.filter(beneficiary=missed).exists()


def test_all_thresholds_are_needed_when_one_is_not_enough():
    rule = {
        "min_lessons_completed": 1,
        "min_active_days": 0,
        "min_sessions_attended": 1,
        "any_activity": False,
    }
    programme = make_programme(rule=rule)
    both = make_participant(
        programme=programme, lessons_on=[date(2025, 3, 3)], sessions_on=[date(2025, 3, 5)]
    )
    make_participant(programme=programme, lessons_on=[date(2025, 3, 3)])
    closed(programme)
    assert list(Entitlement.objects.values_list("beneficiary", flat=True)) == [both.pk]


def test_a_rule_needing_connectivity_support_uses_the_latest_assessment():
    programme = make_programme(rule={"require_connectivity_need": True})
    needs = make_participant(programme=programme, lessons_on=IN_MARCH)
    make_assessment(needs, needs_connectivity=False, answered_at=noon(date(2025, 1, 1)))
    make_assessment(needs, needs_connectivity=True, answered_at=noon(date(2025, 3, 2)))
    changed_mind = make_participant(programme=programme, lessons_on=IN_MARCH, needs_connectivity=True)
    make_assessment(
        changed_mind, needs_connectivity=False, answered_at=datetime.now(UTC) + timedelta(minutes=1)
    )
    make_participant(programme=programme, lessons_on=IN_MARCH)  # never answered
    closed(programme)
    entitlement = Entitlement.objects.get()
    assert entitlement.beneficiary == needs
    assert entitlement.evidence["assessment"]["needs_connectivity_support"] is True


def test_the_amount_is_limited_by_the_cap_and_what_is_left_of_the_lifetime_cap():
    programme = make_programme(amount=1000, cap=1000, lifetime_cap=2500)
    person = make_participant(
        programme=programme,
        lessons_on=[date(2025, 1, 6), date(2025, 2, 6), date(2025, 3, 6), date(2025, 4, 6)],
    )
    amounts = [closed(programme, day=date(2025, m, 1)).total_minor for m in (1, 2, 3, 4)]
    assert amounts == [1000, 1000, 500, 0]
    march = Entitlement.objects.get(period__starts_on=date(2025, 3, 1))
    assert march.evidence["lifetime_before_minor"] == 2000
    assert Entitlement.objects.filter(beneficiary=person).aggregate(t=Sum("amount_minor"))["t"] == 2500


# --- Ledger, audit, rule version --------------------------------------------------------------


def test_closing_posts_one_balanced_transaction_debiting_entitlements_and_crediting_each_payable(coordinator):
    programme = make_programme(coordinator=coordinator, amount=700)
    people = [make_participant(programme=programme, lessons_on=[date(2025, 3, 3)]) for _ in range(3)]
    result = closed(programme, actor=coordinator)
    posted = LedgerTransaction.objects.get()
    assert posted.idempotency_key == f"period:{result.period.pk}:close"
    assert posted.created_by == coordinator
    assert posted.entries.count() == 4
    assert account_balance(account_for(programme=programme, kind=LedgerAccount.Kind.ENTITLEMENTS)) == 2100
    for person in people:
        assert account_balance(account_for(programme=programme, kind="payable", beneficiary=person)) == -700
    assert ledger_is_balanced()


def test_closing_marks_the_rule_version_used_and_records_who_and_when(coordinator):
    programme = make_programme(coordinator=coordinator)
    make_participant(programme=programme, lessons_on=IN_MARCH)
    period = closed(programme, actor=coordinator).period
    period.refresh_from_db()
    rule = programme.rule_versions.get()
    assert rule.used_at is not None
    assert period.rule_version == rule
    assert period.closed_by == coordinator and period.closed_at is not None


def test_closing_appends_one_audit_event_listing_the_entitlements():
    programme = make_programme()
    for _ in range(2):
        make_participant(programme=programme, lessons_on=IN_MARCH)
    period = closed(programme).period
    event = AuditEvent.objects.get(action="period.close")
    assert event.object_id == str(period.pk)
    assert sorted(event.data["entitlements"]) == sorted(Entitlement.objects.values_list("pk", flat=True))
    assert audit_verify().intact


def test_a_rule_change_after_closing_makes_a_new_version_and_the_closed_period_keeps_the_old(coordinator):
    programme = make_programme(coordinator=coordinator)
    make_participant(programme=programme, lessons_on=IN_MARCH)
    period = closed(programme).period
    newer = rule_update(programme=programme, actor=coordinator, min_lessons_completed=5)
    period.refresh_from_db()
    assert newer.version == 2
    assert period.rule_version.version == 1


# --- Idempotent -------------------------------------------------------------------------------


def test_closing_a_closed_period_again_changes_nothing(coordinator):
    programme = make_programme(coordinator=coordinator)
    make_participant(programme=programme, lessons_on=IN_MARCH)
    first = closed(programme)
    # New activity and a changed rule after closing do not change a closed period.
    make_participant(programme=programme, lessons_on=IN_MARCH)
    rule_update(programme=programme, actor=coordinator, min_lessons_completed=0, min_active_days=0)
    counts = (Entitlement.objects.count(), LedgerTransaction.objects.count(), LedgerEntry.objects.count())
    again = closed(programme)
    assert (again.entitlements, again.total_minor, again.closed_now) == (1, first.total_minor, False)
    assert (
        Entitlement.objects.count(),
        LedgerTransaction.objects.count(),
        LedgerEntry.objects.count(),
    ) == counts
    assert AuditEvent.objects.filter(action="period.close").count() == 1


def test_a_period_that_has_not_ended_cannot_be_closed():
    programme = make_programme()
    period = period_for(programme=programme, day=datetime.now(UTC).date())
    with pytest.raises(ValidationError) as refused:
        period_close(programme=programme, period=period, actor=None)
    assert refused.value.code == "not_ended"
    period.refresh_from_db()
    assert period.closed_at is None


def test_a_period_of_another_programme_is_refused():
    programme, other = make_programme(), make_programme()
    period = period_for(programme=other, day=MARCH)
    with pytest.raises(ValueError, match="another programme"):
        period_close(programme=programme, period=period, actor=None)


def test_the_preview_says_how_many_people_and_how_much_without_writing():
    programme = make_programme(amount=400)
    for _ in range(3):
        make_participant(programme=programme, lessons_on=IN_MARCH)
    preview = period_preview(programme=programme, period=period_for(programme=programme, day=MARCH))
    assert (preview.entitlements, preview.total_minor) == (3, 1200)
    assert not Entitlement.objects.exists()


# --- Recomputing from the evidence -------------------------------------------------------------

days_in_march = st.dates(min_value=date(2025, 2, 26), max_value=date(2025, 4, 3))
history = st.fixed_dictionaries(
    {
        "lessons_on": st.lists(days_in_march, max_size=4),
        "learning_days": st.lists(days_in_march, max_size=4),
        "sessions_on": st.lists(days_in_march, max_size=2, unique=True),
        "consent": st.booleans(),
        "needs_connectivity": st.none() | st.booleans(),
    }
)
rules = st.fixed_dictionaries(
    {
        "min_lessons_completed": st.integers(0, 3),
        "min_active_days": st.integers(0, 4),
        "min_sessions_attended": st.integers(0, 2),
        "any_activity": st.booleans(),
        "require_connectivity_need": st.booleans(),
    }
)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(histories=st.lists(history, min_size=1, max_size=4), rule=rules, lifetime=st.integers(1000, 3000))
def test_recomputing_every_entitlement_from_its_evidence_gives_its_amount(histories, rule, lifetime):
    programme = make_programme(amount=1000, cap=1000, lifetime_cap=lifetime, rule=rule)
    for person_history in histories:
        make_participant(programme=programme, **person_history)
    for month in (2, 3):
        closed(programme, day=date(2025, month, 1))
    rule_version = programme.rule_versions.get()
    for entitlement in Entitlement.objects.filter(period__programme=programme):
        recomputed = entitlement_amount_from_evidence(
            programme=programme, rule_version=rule_version, evidence=entitlement.evidence
        )
        assert recomputed == entitlement.amount_minor
    total = Entitlement.objects.filter(period__programme=programme).aggregate(t=Sum("amount_minor"))["t"] or 0
    assert account_balance(account_for(programme=programme, kind="entitlements")) == total


def test_recomputing_ignores_later_changes_of_the_programme_amounts(coordinator):
    programme = make_programme(coordinator=coordinator, amount=1000)
    make_participant(programme=programme, lessons_on=IN_MARCH)
    closed(programme)
    programme.amount_per_period_minor = 10
    entitlement = Entitlement.objects.get()
    assert (
        entitlement_amount_from_evidence(
            programme=programme, rule_version=entitlement.rule_version, evidence=entitlement.evidence
        )
        == 1000
    )


# --- The beat task ------------------------------------------------------------------------------


def test_the_task_closes_every_ended_period_once_and_leaves_the_current_one_open():
    programme = make_programme(period="weekly", created_at=datetime.now(UTC) - timedelta(days=15))
    today = datetime.now(UTC).date()
    make_participant(programme=programme, lessons_on=[today - timedelta(days=d) for d in range(16)])
    first = periods_close()
    second = periods_close()
    periods = list(Period.objects.filter(programme=programme).order_by("starts_on"))
    assert first == len(periods) - 1 and second == 0
    assert [p.closed_at is not None for p in periods] == [True] * (len(periods) - 1) + [False]
    assert Entitlement.objects.count() == len(periods) - 1


def test_the_task_skips_inactive_programmes_and_goes_on_after_a_programme_without_rule():
    inactive = make_programme(created_at=noon(date(2025, 1, 1)))
    inactive.active = False
    inactive.save()
    no_rule = make_programme(created_at=noon(date(2025, 1, 1)))
    no_rule.rule_versions.all().delete()
    working = make_programme(created_at=noon(date(2025, 1, 1)))
    closed_count = periods_close_ended(today=date(2025, 3, 15))
    assert closed_count == 2
    assert not Period.objects.filter(programme=inactive).exists()
    assert not Period.objects.filter(programme=no_rule, closed_at__isnull=False).exists()
    assert Period.objects.filter(programme=working, closed_at__isnull=False).count() == 2
