"""Programmes and versioned rules: creating and changing them (audited), refusing bad amounts and
currencies with a clear message, never changing a used rule version, and the coordinators' pages."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import Role
from allowances.forms_programmes import ProgrammeForm
from allowances.models import AuditEvent, Entitlement, Programme, RuleVersion
from allowances.money import amount_to_minor, currency_check, money
from allowances.services.periods import period_close, period_for
from allowances.services.programmes import (
    programme_create,
    programme_update,
    rule_update,
    rule_version_change,
)
from tests.allowances.factories import make_participant, make_programme, make_rule
from tests.factories import make_user

pytestmark = pytest.mark.django_db

GOOD = {
    "name": "Stay connected",
    "funding_source": "EU AMIF",
    "grant_code": "AMIF-2025-7",
    "currency": "EUR",
    "period": "monthly",
    "amount_per_period_minor": 1500,
    "cap_per_period_minor": 2000,
    "lifetime_cap_minor": 18000,
    "methods": ["data_bundle", "airtime"],
}


# --- Money --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [
        ("12.50", "EUR", 1250),
        ("12", "EUR", 1200),
        ("0.01", "EUR", 1),
        ("500", "JPY", 500),
        ("1.234", "KWD", 1234),
    ],
)
def test_amounts_in_major_units_become_integer_minor_units_with_the_currency_digits(text, currency, minor):
    assert amount_to_minor(text, currency=currency) == minor


@pytest.mark.parametrize(
    ("text", "currency", "code"),
    [
        ("12.505", "EUR", "too_many_decimals"),
        ("1.5", "JPY", "too_many_decimals"),
        ("-5", "EUR", "negative"),
        ("ten", "EUR", "not_a_number"),
        ("NaN", "EUR", "not_a_number"),
        ("Infinity", "EUR", "not_a_number"),
        ("1e30", "EUR", "too_large"),
        ("9" * 40, "EUR", "too_large"),
        ("", "EUR", "not_a_number"),
    ],
)
def test_bad_amounts_are_refused_with_a_reason(text, currency, code):
    with pytest.raises(ValidationError) as refused:
        amount_to_minor(text, currency=currency)
    assert refused.value.code == code
    assert refused.value.messages[0]


@pytest.mark.parametrize("code", ["XYZ", "EU", "EURO", "", "XXX", "XTS", "12€"])
def test_unknown_currencies_are_refused(code):
    with pytest.raises(ValidationError) as refused:
        currency_check(code)
    assert refused.value.code == "unknown_currency"


def test_known_currencies_are_accepted_in_any_case():
    assert currency_check("afn") == "AFN"
    assert currency_check(" NGN ") == "NGN"


def test_money_is_formatted_in_the_viewers_language():
    from django.utils import translation

    assert money(1250, "EUR") == "€12.50"
    with translation.override("de"):
        assert money(1250, "EUR") == "12,50\xa0€"
    assert money(500, "JPY") == "¥500"


# --- Programmes -----------------------------------------------------------------------------------


def test_a_coordinator_creates_a_programme_of_their_organisation_with_a_first_rule(coordinator):
    programme = programme_create(actor=coordinator, **GOOD)
    assert programme.organisation == coordinator.organisation
    assert programme.methods == ["airtime", "data_bundle"]
    assert programme.rule_versions.get().version == 1
    assert list(AuditEvent.objects.values_list("action", flat=True)) == ["programme.create", "rule.create"]


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"currency": "XYZ"}, "currency", "unknown_currency"),
        ({"amount_per_period_minor": -100}, "amount_per_period_minor", "negative"),
        ({"amount_per_period_minor": 0}, "amount_per_period_minor", "zero"),
        ({"amount_per_period_minor": 12.5}, "amount_per_period_minor", "not_integer"),
        ({"amount_per_period_minor": "1500"}, "amount_per_period_minor", "not_integer"),
        ({"amount_per_period_minor": True}, "amount_per_period_minor", "not_integer"),
        ({"amount_per_period_minor": 10**12}, "amount_per_period_minor", "too_large"),
        ({"cap_per_period_minor": 1000}, "cap_per_period_minor", "caps_ordered"),
        ({"lifetime_cap_minor": 1999}, "lifetime_cap_minor", "caps_ordered"),
        ({"period": "daily"}, "period", "unknown_period"),
        ({"methods": ["cash"]}, "methods", "unknown_method"),
        ({"methods": []}, "methods", "unknown_method"),
        ({"name": "  "}, "name", "required"),
    ],
)
def test_a_programme_with_bad_terms_is_refused_and_nothing_is_written(coordinator, change, field, code):
    with pytest.raises(ValidationError) as refused:
        programme_create(actor=coordinator, **{**GOOD, **change})
    assert [e.code for e in refused.value.error_dict[field]] == [code]
    assert not Programme.objects.exists()
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize("role", [Role.MIGRANT, Role.COUNSELLOR, Role.AUTHOR, Role.ADMIN])
def test_only_coordinators_create_programmes(role):
    with pytest.raises(ValidationError) as refused:
        programme_create(actor=make_user(role, mfa=False), **GOOD)
    assert refused.value.code == "not_coordinator"


def test_changing_a_programme_is_audited_with_before_and_after(coordinator):
    programme = programme_create(actor=coordinator, **GOOD)
    programme_update(programme=programme, actor=coordinator, **{**GOOD, "amount_per_period_minor": 1800})
    programme.refresh_from_db()
    assert programme.amount_per_period_minor == 1800
    event = AuditEvent.objects.get(action="programme.update")
    assert event.data == {"changed": {"amount_per_period_minor": [1500, 1800]}}


def test_a_bad_change_leaves_the_programme_as_it_was(coordinator):
    programme = programme_create(actor=coordinator, **GOOD)
    with pytest.raises(ValidationError):
        programme_update(programme=programme, actor=coordinator, amount_per_period_minor=-1)
    programme.refresh_from_db()
    assert programme.amount_per_period_minor == 1500
    assert not AuditEvent.objects.filter(action="programme.update").exists()


def test_a_coordinator_of_another_organisation_cannot_change_a_programme(coordinator):
    programme = programme_create(actor=coordinator, **GOOD)
    with pytest.raises(ValidationError) as refused:
        programme_update(programme=programme, actor=make_user(Role.COORDINATOR, mfa=False), name="Mine now")
    assert refused.value.code == "other_organisation"


def test_the_currency_cannot_change_once_a_period_is_closed(coordinator):
    programme = make_programme(coordinator=coordinator)
    make_participant(programme=programme, lessons_on=[date(2025, 3, 3)])
    period_close(
        programme=programme, period=period_for(programme=programme, day=date(2025, 3, 1)), actor=None
    )
    with pytest.raises(ValidationError) as refused:
        programme_update(programme=programme, actor=coordinator, currency="USD")
    assert refused.value.error_dict["currency"][0].code == "currency_fixed"


# --- Rule versions ------------------------------------------------------------------------------


def test_an_unused_rule_version_is_edited_in_place_and_audited(coordinator):
    programme = make_programme(coordinator=coordinator)
    rule = rule_update(programme=programme, actor=coordinator, min_lessons_completed=3, min_active_days=2)
    assert programme.rule_versions.count() == 1
    assert (rule.version, rule.min_lessons_completed, rule.min_active_days) == (1, 3, 2)
    assert AuditEvent.objects.get(action="rule.update").data["min_lessons_completed"] == 3


def test_editing_a_used_rule_makes_a_new_version_and_leaves_the_used_one_unchanged(coordinator):
    programme = make_programme(coordinator=coordinator, rule={"min_lessons_completed": 1})
    used = programme.rule_versions.get()
    RuleVersion.objects.filter(pk=used.pk).update(used_at=used.created_at)
    newer = rule_update(programme=programme, actor=coordinator, min_lessons_completed=4)
    used.refresh_from_db()
    assert (newer.version, newer.min_lessons_completed) == (2, 4)
    assert used.min_lessons_completed == 1
    assert AuditEvent.objects.get(action="rule.create").data["replaces"] == used.pk


def test_a_used_rule_version_can_never_be_changed(coordinator):
    programme = make_programme(coordinator=coordinator)
    used = make_rule(programme, used=True, min_active_days=2)
    with pytest.raises(ValidationError) as refused:
        rule_version_change(rule_version=used, actor=coordinator, min_active_days=9)
    assert refused.value.code == "rule_used"
    used.refresh_from_db()
    assert used.min_active_days == 2


def test_saving_an_unchanged_rule_makes_no_version_and_no_event(coordinator):
    programme = make_programme(coordinator=coordinator, rule={"min_lessons_completed": 2})
    rule = programme.rule_versions.get()
    values = {
        name: getattr(rule, name)
        for name in ("min_lessons_completed", "min_active_days", "min_sessions_attended", "any_activity")
    }
    values |= {
        "require_consent": rule.require_consent,
        "require_connectivity_need": rule.require_connectivity_need,
    }
    assert rule_update(programme=programme, actor=coordinator, **values) == rule
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize("value", [-1, 400, 1.5, "3"])
def test_a_bad_threshold_is_refused(coordinator, value):
    programme = make_programme(coordinator=coordinator)
    with pytest.raises(ValidationError):
        rule_update(programme=programme, actor=coordinator, min_active_days=value)
    assert programme.rule_versions.get().min_active_days == 1


# --- Forms ----------------------------------------------------------------------------------------


FORM = {
    "name": "Stay connected",
    "funding_source": "EU AMIF",
    "grant_code": "AMIF-2025-7",
    "currency": "eur",
    "period": "weekly",
    "amount_per_period": "5.50",
    "cap_per_period": "5.50",
    "lifetime_cap": "100",
    "methods": ["airtime"],
}


def test_the_form_turns_major_units_into_minor_units():
    form = ProgrammeForm(FORM)
    assert form.is_valid(), form.errors
    values = form.values()
    assert (values["currency"], values["amount_per_period_minor"], values["lifetime_cap_minor"]) == (
        "EUR",
        550,
        10000,
    )


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"amount_per_period": "5.555"}, "amount_per_period", "at most 2 decimal places"),
        ({"amount_per_period": "-5"}, "amount_per_period", "cannot be negative"),
        ({"currency": "ABC"}, "currency", "not a currency we know"),
        ({"currency": "JPY", "amount_per_period": "5.5"}, "amount_per_period", "at most 0 decimal places"),
        ({"lifetime_cap": "1" * 20}, "lifetime_cap", "far too large"),
    ],
)
def test_the_form_says_what_is_wrong_with_an_amount_or_currency(change, field, message):
    form = ProgrammeForm({**FORM, **change})
    assert not form.is_valid()
    assert message in " ".join(form.errors[field])


# --- Pages ----------------------------------------------------------------------------------------


def test_a_coordinator_creates_a_programme_from_the_form_and_is_sent_to_its_rule(coordinator, client_for):
    response = client_for(coordinator).post(reverse("allowances:programme_new"), FORM)
    programme = Programme.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("allowances:programme_rules", args=[programme.pk])
    assert programme.amount_per_period_minor == 550


def test_a_bad_amount_in_the_form_shows_the_reason_and_creates_nothing(coordinator, client_for):
    response = client_for(coordinator).post(
        reverse("allowances:programme_new"), {**FORM, "amount_per_period": "5.555"}
    )
    assert response.status_code == 200
    assert "at most 2 decimal places" in response.content.decode()
    assert not Programme.objects.exists()


def test_the_list_shows_only_the_coordinators_own_programmes(coordinator, client_for):
    make_programme(coordinator=coordinator, name="Ours")
    make_programme(name="Theirs")
    page = client_for(coordinator).get(reverse("allowances:programme_list")).content.decode()
    assert "Ours" in page and "Theirs" not in page


def test_a_coordinator_reaches_every_allowance_page_from_the_team_pages(coordinator, client_for):
    client = client_for(coordinator)
    team = client.get(reverse("booking:org_appointments")).content.decode()
    assert f'href="{reverse("allowances:programme_list")}"' in team
    wanted = ["programme_list", "batches", "report_list", "assessment_report"]
    for name in wanted:
        page = client.get(reverse(f"allowances:{name}")).content.decode()
        for other in wanted:
            assert f'href="{reverse(f"allowances:{other}")}"' in page, (name, other)
        assert f'href="{reverse(f"allowances:{name}")}" aria-current="page"' in page


def test_another_organisations_programme_does_not_exist_for_a_coordinator(coordinator, client_for):
    theirs = make_programme()
    client = client_for(coordinator)
    for name in ("allowances:programme", "allowances:programme_edit", "allowances:programme_rules"):
        assert client.get(reverse(name, args=[theirs.pk])).status_code == 404


def test_the_detail_page_offers_close_now_for_an_ended_period(coordinator, client_for):
    programme = make_programme(coordinator=coordinator, amount=1250)
    programme.created_at = programme.created_at.replace(year=2025, month=3, day=1)
    programme.save()
    page = client_for(coordinator).get(reverse("allowances:programme", args=[programme.pk])).content.decode()
    assert "Close now" in page and "€12.50" in page


def test_closing_from_the_page_confirms_first_then_closes_and_lists_who_and_why(coordinator, client_for):
    programme = make_programme(coordinator=coordinator, amount=1250)
    person = make_participant(programme=programme, lessons_on=[date(2025, 3, 3)], display_name="Farida")
    period = period_for(programme=programme, day=date(2025, 3, 1))
    client = client_for(coordinator)
    url = reverse("allowances:programme_period_close", args=[programme.pk, period.pk])
    confirm = client.get(url).content.decode()
    assert "entitles 1 person to €12.50" in confirm
    assert not Entitlement.objects.exists()
    response = client.post(url)
    assert response.status_code == 302
    assert Entitlement.objects.get().beneficiary == person
    page = client.get(response["Location"]).content.decode()
    assert "Farida" in page and "1 lessons completed" in page
    assert client.post(url).status_code == 302  # again: already closed, nothing new
    assert Entitlement.objects.count() == 1


def test_a_rule_edit_from_the_page_after_closing_makes_version_two(coordinator, client_for):
    programme = make_programme(coordinator=coordinator)
    make_participant(programme=programme, lessons_on=[date(2025, 3, 3)])
    period_close(
        programme=programme, period=period_for(programme=programme, day=date(2025, 3, 1)), actor=None
    )
    data = {"min_lessons_completed": 2, "min_active_days": 0, "min_sessions_attended": 0, "any_activity": "1"}
    client = client_for(coordinator)
    response = client.post(
        reverse("allowances:programme_rules", args=[programme.pk]), {**data, "require_consent": "on"}
    )
    assert response.status_code == 302
    assert list(programme.rule_versions.values_list("version", "min_lessons_completed")) == [(2, 2), (1, 1)]
    page = client.get(reverse("allowances:programme_rules", args=[programme.pk])).content.decode()
    assert "Used, cannot change" in page and "Version 2" in page
