"""The digital-needs questionnaire: answering (and again), amounts typed in any script, the
dashboard card that offers it, and the coordinators' aggregate report."""

import pytest
from django.urls import reverse

from accounts.models import Role
from allowances.models import Assessment, AuditEvent
from allowances.selectors.people import minor_units_parse
from allowances.selectors.reports import assessment_summary, suppress
from frontend.dashboard import dashboard_cards
from tests.allowances.people_data import consent, programme_for
from tests.factories import make_user

pytestmark = pytest.mark.django_db

ANSWER = {
    "devices": ["smartphone"],
    "connection": "mobile_data",
    "monthly_data_cost": "12.50",
    "currency": "EUR",
    "needs_tech_support": "no",
    "needs_connectivity_support": "yes",
}


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [
        ("12.50", "EUR", 1250),
        ("12,5", "EUR", 1250),
        ("\u0661\u0662\u066b\u0665\u0660", "EUR", 1250),  # Arabic-Indic digits, Arabic decimal point
        ("\u06f2\u06f5\u06f0", "AFN", 250),  # Persian digits
        ("1,250", "EUR", 125000),
        ("1 250,75", "EUR", 125075),
        ("0", "EUR", 0),
    ],
)
def test_typed_amounts_become_minor_units_of_the_currency(text, currency, minor):
    assert minor_units_parse(text, currency) == minor


@pytest.mark.parametrize(
    ("text", "currency"),
    [
        ("-3", "EUR"),
        ("1e3", "EUR"),
        ("12.505", "EUR"),
        ("250.5", "AFN"),
        ("NaN", "EUR"),
        ("abc", "EUR"),
        ("", "EUR"),
    ],
)
def test_amounts_that_are_not_plain_or_too_precise_are_refused(text, currency):
    with pytest.raises(ValueError):
        minor_units_parse(text, currency)


def test_answering_stores_a_row_with_minor_units_and_audits_it(migrant, client_for):
    response = client_for(migrant).post(reverse("allowances:assessment"), ANSWER)

    assert response.status_code == 302
    answer = Assessment.objects.get(user=migrant)
    assert (answer.devices, answer.monthly_data_cost_minor, answer.currency) == (["smartphone"], 1250, "EUR")
    assert answer.needs_connectivity_support and not answer.needs_tech_support
    assert AuditEvent.objects.filter(action="assessment.record", object_id=str(answer.pk)).exists()


def test_answering_again_adds_a_row_and_the_newest_counts(migrant, client_for):
    client = client_for(migrant)
    client.post(reverse("allowances:assessment"), ANSWER)
    client.post(
        reverse("allowances:assessment"), {**ANSWER, "connection": "home_wifi", "monthly_data_cost": ""}
    )

    assert Assessment.objects.filter(user=migrant).count() == 2
    newest = Assessment.objects.filter(user=migrant).first()
    assert (newest.connection, newest.monthly_data_cost_minor, newest.currency) == ("home_wifi", None, "")
    page = client.get(reverse("allowances:assessment"))
    assert page.context["form"].initial["connection"] == "home_wifi"


def test_none_of_these_with_a_device_is_refused_and_nothing_is_saved(migrant, client_for):
    response = client_for(migrant).post(
        reverse("allowances:assessment"), {**ANSWER, "devices": ["none", "smartphone"]}
    )

    assert response.status_code == 200
    assert response.context["form"].errors["devices"]
    assert not Assessment.objects.exists()


def test_a_cost_with_too_many_decimals_is_explained_on_its_field(migrant, client_for):
    response = client_for(migrant).post(
        reverse("allowances:assessment"), {**ANSWER, "monthly_data_cost": "3.333"}
    )

    assert "monthly_data_cost" in response.context["form"].errors
    assert not Assessment.objects.exists()


def test_the_questionnaire_reads_right_to_left_in_arabic(migrant, client_for):
    migrant.language = "ar"
    migrant.save()
    client = client_for(migrant)
    client.cookies["django_language"] = "ar"
    page = client.get(reverse("allowances:assessment"), HTTP_ACCEPT_LANGUAGE="ar")

    assert 'dir="rtl"' in page.content.decode()


def test_the_currency_offered_first_is_where_the_person_lives(client_for):
    person = make_user(Role.MIGRANT, country_of_residence="AF", country_of_origin="NG")
    page = client_for(person).get(reverse("allowances:assessment"))

    codes = [code for code, _label in page.context["form"].fields["currency"].choices]
    assert codes[:2] == ["AFN", "NGN"]


def test_the_dashboard_offers_the_questionnaire_until_it_is_answered(migrant, client_for):
    titles = [card.title for card in dashboard_cards(migrant)]
    assert "Tell us what you need to get online" in titles

    client_for(migrant).post(reverse("allowances:assessment"), ANSWER)
    assert "Tell us what you need to get online" not in [card.title for card in dashboard_cards(migrant)]


def test_staff_are_not_asked_the_questionnaire(counsellor):
    assert "Tell us what you need to get online" not in [card.title for card in dashboard_cards(counsellor)]


def _answer(user, **fields):
    data = {
        "devices": ["smartphone"],
        "connection": "mobile_data",
        "monthly_data_cost_minor": None,
        "currency": "",
        "needs_tech_support": False,
        "needs_connectivity_support": True,
        **fields,
    }
    return Assessment.objects.create(user=user, **data)


def test_the_summary_counts_newest_answers_and_medians_per_currency():
    people = [make_user(Role.MIGRANT) for _ in range(7)]
    for k, person in enumerate(people):
        _answer(person, devices=["basic_phone"], connection="none")  # older: replaced below
        _answer(
            person,
            devices=["smartphone", "computer"] if k < 5 else ["smartphone"],
            monthly_data_cost_minor=1000 + 100 * k,
            currency="EUR",
            needs_tech_support=k < 6,
        )

    summary = assessment_summary()

    assert summary.respondents == 7
    assert summary.devices["smartphone"] == 7
    assert summary.devices["computer"] == 5
    assert summary.devices["basic_phone"] == 0
    assert summary.connections["mobile_data"] == 7
    assert summary.needs_connectivity == 7
    # 6 of 7 need help: the one who does not would be a group of 1, so neither is shown.
    assert summary.needs_tech is None
    assert summary.median_cost == {"EUR": (1300, 7)}


def test_the_summary_shows_nothing_below_five_people():
    for _ in range(4):
        _answer(make_user(Role.MIGRANT), monthly_data_cost_minor=500, currency="EUR")

    summary = assessment_summary()

    assert summary.respondents == 4
    assert (summary.devices, summary.connections, summary.median_cost) == ({}, {}, {})


def test_one_hidden_cell_hides_the_next_smallest_too():
    assert suppress({"a": 10, "b": 3, "c": 6, "d": 0}) == {"a": 10, "b": None, "c": None, "d": 0}
    assert suppress({"a": 10, "b": 3, "c": 2}) == {"a": 10, "b": None, "c": None}


def test_the_report_is_for_coordinators_and_filters_by_their_own_programmes(coordinator, client_for):
    mine = programme_for(coordinator)
    stranger = make_user(Role.COORDINATOR)
    theirs = programme_for(stranger, name="Other")
    for k in range(6):
        person = make_user(Role.MIGRANT)
        _answer(person, monthly_data_cost_minor=700, currency="EUR")
        consent(person, mine if k < 5 else theirs)

    client = client_for(coordinator)
    everyone = client.get(reverse("allowances:assessment_report"))
    own = client.get(reverse("allowances:assessment_report"), {"programme": mine.pk})
    other = client.get(reverse("allowances:assessment_report"), {"programme": theirs.pk})

    assert everyone.context["summary"].respondents == 6
    assert own.context["summary"].respondents == 5
    # Another organisation's programme is not a choice: the filter falls back to everyone.
    assert other.context["programme"] is None
    assert "<svg" in own.content.decode()
    assert client_for(make_user(Role.MIGRANT)).get(reverse("allowances:assessment_report")).status_code == 403
