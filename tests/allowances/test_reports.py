"""Coordinators' programme reports: totals equal the ledger for generated histories, the CSV
adds up to the report and names nobody, small groups are hidden, demographics only where
consent allows, learning outcomes of recipients next to non-recipients, and organisation scope."""

import csv
import io
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.models import Role
from allowances.models import LedgerAccount, Payment
from allowances.selectors.reports import programme_report, pseudonym
from allowances.services.ledger import account_balance, account_for
from courses.models import Enrolment, LessonProgress
from tests.allowances.people_data import (
    batch_for,
    consent,
    entitle,
    pay,
    period_of,
    programme_for,
    reverse_delivery,
)
from tests.courses.factories import lessons_of, make_course
from tests.factories import make_user

pytestmark = pytest.mark.django_db

OUTCOMES = ("none", "waiting", "delivered", "failed", "reissued", "reversed")


def _csv(client: Client, programme, period=None) -> list[dict[str, str]]:
    url = reverse("allowances:report_export", args=[programme.pk])
    response = client.get(url, {"period": period.pk} if period else {})
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))


def _minor(rows: list[dict[str, str]], column: str, digits: int = 2) -> int:
    return int(sum((Decimal(row[column]) for row in rows), Decimal(0)).scaleb(digits))


history = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=5),  # person
        st.sampled_from((3, 4)),  # month of the period
        st.integers(min_value=1, max_value=5000),  # amount
        st.sampled_from(OUTCOMES),
        st.integers(min_value=0, max_value=99),  # fee
    ),
    max_size=12,
    unique_by=lambda t: (t[0], t[1]),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(events=history)
def test_report_totals_equal_the_ledger_and_the_csv_adds_up_to_the_report(events, coordinator):
    programme = programme_for(coordinator)
    people = [make_user(Role.MIGRANT, mfa=False) for _ in range(6)]
    periods = {month: period_of(programme, month) for month in (3, 4)}
    batches = {month: batch_for(periods[month]) for month in (3, 4)}
    for person, month, amount, outcome, fee in events:
        entitlement = entitle(people[person], periods[month], amount)
        batch = batches[month]
        if outcome == "waiting":
            pay(entitlement, batch, status=Payment.Status.PENDING, fee=fee)
        elif outcome in ("delivered", "reversed"):
            payment = pay(entitlement, batch, fee=fee)
            if outcome == "reversed":
                reverse_delivery(payment)
        elif outcome == "failed":
            pay(entitlement, batch, status=Payment.Status.FAILED, fee=fee)
        elif outcome == "reissued":
            failed = pay(entitlement, batch, status=Payment.Status.FAILED, fee=fee)
            pay(entitlement, batch, reissue_of=failed)

    report = programme_report(programme=programme)
    kinds = LedgerAccount.Kind
    entitlements = account_balance(account_for(programme=programme, kind=kinds.ENTITLEMENTS))
    fees = account_balance(account_for(programme=programme, kind=kinds.FEES))
    funding = account_balance(account_for(programme=programme, kind=kinds.FUNDING))
    payable = sum(
        account_balance(account)
        for account in LedgerAccount.objects.filter(programme=programme, kind=kinds.PAYABLE)
    )
    a = report.amounts
    assert a.entitled == entitlements == sum(e[2] for e in events)
    assert a.fees == fees
    assert a.delivered == entitlements + payable
    assert a.owed == -payable
    assert a.delivered + a.fees == -funding
    assert a.delivered == sum(e[2] for e in events if e[3] in ("delivered", "reissued"))
    assert a.failed == sum(e[2] for e in events if e[3] in ("failed", "reissued"))
    assert a.reissued == sum(e[2] for e in events if e[3] == "reissued")
    assert a.approved == sum(e[2] for e in events if e[3] != "none")

    # Per period the figures add up to the whole programme.
    parts = [programme_report(programme=programme, period=p).amounts for p in periods.values()]
    for name in ("entitled", "delivered", "fees", "failed", "reissued", "approved", "owed"):
        assert sum(getattr(part, name) for part in parts) == getattr(a, name)

    client = Client()
    client.force_login(coordinator)
    rows = _csv(client, programme)
    assert (_minor(rows, "Entitled"), _minor(rows, "Delivered"), _minor(rows, "Provider fees")) == (
        a.entitled,
        a.delivered,
        a.fees,
    )
    assert (_minor(rows, "Failed"), _minor(rows, "Re-issued")) == (a.failed, a.reissued)
    march = _csv(client, programme, periods[3])
    march_report = programme_report(programme=programme, period=periods[3]).amounts
    assert (_minor(march, "Entitled"), _minor(march, "Delivered"), _minor(march, "Provider fees")) == (
        march_report.entitled,
        march_report.delivered,
        march_report.fees,
    )


def test_the_csv_is_pseudonymised_and_safe_for_spreadsheets(coordinator, client_for):
    programme = programme_for(coordinator)
    other_programme = programme_for(coordinator, name="Other")
    person = make_user(
        Role.MIGRANT, display_name="=HYPERLINK(1)", email="amina@example.org", phone="+491701234567"
    )
    period = period_of(programme)
    pay(entitle(person, period, 1250), batch_for(period), fee=30)

    response = client_for(coordinator).get(reverse("allowances:report_export", args=[programme.pk]))
    text = b"".join(response.streaming_content).decode()

    assert response["Cache-Control"] == "private, no-store"
    for secret in ("HYPERLINK", "amina", "+491701234567", "Amina"):
        assert secret not in text
    code = pseudonym(programme=programme, user_id=person.pk)
    assert code in text
    assert code != pseudonym(programme=other_programme, user_id=person.pk)
    assert code == pseudonym(programme=programme, user_id=person.pk)
    row = next(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert (row["Entitled"], row["Delivered"], row["Provider fees"], row["Method"]) == (
        "12.50",
        "12.50",
        "0.30",
        "airtime",
    )


def test_demographics_count_only_people_who_share_and_hide_small_groups(coordinator):
    programme = programme_for(coordinator)
    period = period_of(programme)
    for k in range(12):
        person = make_user(Role.MIGRANT, mfa=False, country_of_origin="AF" if k < 7 else "NG")
        entitle(person, period)
        if k < 7:
            consent(person, programme, sex="female", birth_year=2003, share_demographics=True)
        elif k < 9:
            consent(person, programme, sex="male", birth_year=1960, share_demographics=True)
        elif k < 11:
            consent(person, programme, sex="male", birth_year=1960, share_demographics=False)
        # k == 11: no consent row at all

    people = programme_report(programme=programme, period=period).entitled_people

    assert people.total == 12
    # 2 men shared: hidden; the next smallest group (3 not shared) is hidden with it.
    assert people.sex == {"female": 7, "male": None, "not_shared": None}
    assert people.age_band == {"18_24": 7, "50_plus": None, "not_shared": None}
    assert people.nationality == {"AF": 7, "not_shared": None, "NG": None}


def test_a_withdrawn_consent_is_no_longer_counted_by_sex_or_age(coordinator):
    programme = programme_for(coordinator)
    period = period_of(programme)
    for _ in range(5):
        person = make_user(Role.MIGRANT, mfa=False)
        entitle(person, period)
        consent(
            person,
            programme,
            sex="female",
            share_demographics=True,
            withdrawn_at=datetime(2025, 4, 1, tzinfo=UTC),
        )

    assert programme_report(programme=programme, period=period).entitled_people.sex == {"not_shared": 5}


def test_learning_outcomes_compare_recipients_with_people_without_an_allowance(coordinator):
    programme = programme_for(coordinator)
    period = period_of(programme)
    course = make_course(modules=(("text", "text"),))
    first, second = lessons_of(course)
    batch = batch_for(period)
    in_march = datetime(2025, 3, 10, 12, tzinfo=UTC)
    for k in range(10):
        person = make_user(Role.MIGRANT, mfa=False)
        consent(person, programme, given_at=datetime(2025, 2, 1, tzinfo=UTC))
        if k < 5:
            pay(entitle(person, period), batch)
            for lesson in (first, second):
                LessonProgress.objects.create(user=person, lesson=lesson, completed_at=in_march)
            Enrolment.objects.create(user=person, course=course, completed_at=in_march)
        elif k < 7:
            LessonProgress.objects.create(user=person, lesson=first, completed_at=in_march)
        else:
            # Outside the period: not counted.
            LessonProgress.objects.create(
                user=person, lesson=first, completed_at=datetime(2025, 5, 2, tzinfo=UTC)
            )

    report = programme_report(programme=programme, period=period)

    got, without = report.outcomes_recipients, report.outcomes_others
    assert (got.people, got.lessons, got.courses, got.learners) == (5, 10, 5, 5)
    assert (without.people, without.lessons, without.courses, without.learners) == (5, 2, 0, 2)


def test_learning_outcomes_of_fewer_than_five_people_are_not_shown(coordinator):
    programme = programme_for(coordinator)
    period = period_of(programme)
    person = make_user(Role.MIGRANT, mfa=False)
    consent(person, programme, given_at=datetime(2025, 2, 1, tzinfo=UTC))
    pay(entitle(person, period), batch_for(period))

    report = programme_report(programme=programme, period=period)

    assert report.outcomes_recipients.people is None
    assert report.outcomes_others.people is None


def test_coordinators_see_only_their_organisations_programmes(coordinator, client_for):
    mine = programme_for(coordinator, name="Ours")
    theirs = programme_for(make_user(Role.COORDINATOR), name="Theirs")
    client = client_for(coordinator)

    listing = client.get(reverse("allowances:report_list")).content.decode()
    assert "Ours" in listing and "Theirs" not in listing
    assert client.get(reverse("allowances:report", args=[mine.pk])).status_code == 200
    assert client.get(reverse("allowances:report", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("allowances:report_export", args=[theirs.pk])).status_code == 404
    other_period = period_of(theirs)
    assert (
        client.get(reverse("allowances:report", args=[mine.pk]), {"period": other_period.pk}).status_code
        == 404
    )


def test_the_report_page_has_charts_and_amounts_in_the_viewers_language(coordinator, client_for):
    programme = programme_for(coordinator)
    march, april = period_of(programme, 3), period_of(programme, 4)
    pay(entitle(make_user(Role.MIGRANT, mfa=False), march, 1250), batch_for(march), fee=25)
    entitle(make_user(Role.MIGRANT, mfa=False), april, 1000)
    coordinator.language = "ar"
    coordinator.save()
    client = client_for(coordinator)
    client.cookies["django_language"] = "ar"

    page = client.get(reverse("allowances:report", args=[programme.pk])).content.decode()

    assert page.count('<svg class="chart"') == 2
    assert 'dir="rtl"' in page
    assert "22.50\xa0€" in page  # entitled, Babel's Arabic pattern


def test_the_dashboard_gives_coordinators_key_figures(coordinator):
    from frontend.dashboard import dashboard_cards

    programme = programme_for(coordinator)
    period = period_of(programme)
    pay(entitle(make_user(Role.MIGRANT, mfa=False), period, 1250), batch_for(period))
    pay(
        entitle(make_user(Role.MIGRANT, mfa=False), period, 500),
        batch_for(period),
        status=Payment.Status.FAILED,
    )

    card = next(card for card in dashboard_cards(coordinator) if card.title == "Communication allowances")

    assert card.context["delivered"] == ["€12.50"]
    assert card.context["figures"].failed == 1
    assert card.needs_action
