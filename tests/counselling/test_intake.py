"""Public information requests: anyone asks (anonymously or leaving a sealed contact), the
coordinators of an organisation in that country assign the question to a counsellor who serves
the country and speaks the language, the counsellor answers, and the requester reads the answer
with the reference code."""

import logging
import re

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from accounts import services as account_services
from accounts.models import Role
from accounts.sms import MemorySMSBackend
from counselling.models import InformationRequest
from counselling.selectors import intake as selectors
from counselling.services import intake as services
from counselling.views.intake import LOOKUPS_PER_WINDOW
from tests.factories import OrganisationFactory, make_bookable_counsellor, make_user

pytestmark = pytest.mark.django_db

REFERENCE = re.compile(r"^[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}$")
QUESTION = "Can I get help to find work in Lagos when I go back next year?"


@pytest.fixture
def lagos():
    return OrganisationFactory(name="Lagos partner", country="NG")


@pytest.fixture
def chinedu(lagos):
    """Serves Nigeria, speaks English and Yoruba, has a schedule (so Nigeria is offered)."""
    return make_bookable_counsellor(organisation=lagos, languages=("en", "yo"), display_name="Chinedu")


@pytest.fixture
def sofia(lagos):
    return make_user(Role.COORDINATOR, organisation=lagos, display_name="Sofia")


def ask(**fields):
    values = {
        "country": "NG",
        "language": "en",
        "topic": InformationRequest.Topic.WORK,
        "question": QUESTION,
    }
    values.update(fields)
    return services.information_request_create(**values)


# --- Asking ---------------------------------------------------------------------------------


def test_an_anonymous_question_is_stored_with_a_reference_and_no_contact(chinedu):
    request = ask()

    assert REFERENCE.match(request.reference)
    assert request.status == InformationRequest.Status.NEW
    assert request.contact_method == "none" and request.contact_sealed == ""
    assert request.requester is None


def test_a_phone_number_is_stored_sealed_in_e164(chinedu):
    request = ask(contact_method="phone", contact="+49 151 2345 6789", form_token="t1")

    assert request.contact_sealed.startswith("v1:")
    assert "4915123456789" not in request.contact_sealed
    assert (
        services.contact_unseal(
            sealed=request.contact_sealed, model="InformationRequest", reference=request.reference
        )
        == "+4915123456789"
    )


def test_a_sealed_contact_cannot_be_read_in_another_row(chinedu):
    first = ask(contact_method="email", contact="amina@example.org", form_token="a")
    second = ask(contact_method="email", contact="other@example.org", form_token="b")

    with pytest.raises(Exception, match="integrity"):
        services.contact_unseal(
            sealed=first.contact_sealed, model="InformationRequest", reference=second.reference
        )


@pytest.mark.parametrize(
    ("method", "contact", "field"),
    [
        ("phone", "0151 2345", "contact"),
        ("phone", "", "contact"),
        ("email", "not-an-address", "contact"),
        ("email", "", "contact"),
        ("fax", "123", "contact_method"),
    ],
)
def test_a_contact_that_does_not_fit_its_method_is_refused(chinedu, method, contact, field):
    with pytest.raises(ValidationError) as caught:
        ask(contact_method=method, contact=contact)

    assert field in caught.value.message_dict
    assert not InformationRequest.objects.exists()


def test_a_question_of_2000_characters_is_accepted_and_one_more_is_refused(chinedu):
    assert len(ask(question="x" * 2000, form_token="ok").question) == 2000

    with pytest.raises(ValidationError) as caught:
        ask(question="x" * 2001, form_token="too-long")

    assert "2000" in caught.value.message_dict["question"][0]
    assert InformationRequest.objects.count() == 1


def test_an_empty_question_is_refused(chinedu):
    with pytest.raises(ValidationError) as caught:
        ask(question="   ")

    assert "question" in caught.value.message_dict


def test_a_country_nobody_serves_is_refused(chinedu):
    with pytest.raises(ValidationError) as caught:
        ask(country="AF")

    assert "country" in caught.value.message_dict


def test_a_signed_in_requester_is_recorded(chinedu):
    amina = make_user(Role.MIGRANT)

    assert ask(requester=amina).requester == amina


def test_the_same_form_sent_twice_stores_one_request(chinedu):
    first = ask(form_token="same-form")
    again = ask(form_token="same-form")

    assert again.pk == first.pk
    assert InformationRequest.objects.count() == 1


def test_a_form_token_reused_for_another_question_is_refused(chinedu):
    ask(form_token="same-form")

    with pytest.raises(ValidationError, match="expired"):
        ask(form_token="same-form", question="Something else entirely")


def test_different_forms_get_different_references(chinedu):
    references = {ask(form_token=f"form-{n}").reference for n in range(20)}

    assert len(references) == 20


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("k7m2-qx9p-4htd", "K7M2-QX9P-4HTD"),
        (" K7M2 QX9P 4HTD ", "K7M2-QX9P-4HTD"),
        ("K7M2QX9P4HTD", "K7M2-QX9P-4HTD"),
        ("K7M2-QX9P-4HT", ""),
        ("K7M2-QX9P-4HT0", ""),  # 0 is not in the alphabet (O/0 confusion)
        ("", ""),
    ],
)
def test_a_typed_reference_is_normalised_or_rejected(typed, stored):
    assert services.reference_normalise(typed) == stored


# --- Who sees which request -----------------------------------------------------------------


def test_coordinators_see_requests_of_countries_their_counsellors_serve_and_no_others(chinedu, sofia):
    nigeria = ask()
    kabul = OrganisationFactory(country="AF")
    kabul_coordinator = make_user(Role.COORDINATOR, organisation=kabul)
    ghana_only = OrganisationFactory(country="GH")

    assert list(selectors.information_request_list_for_coordinator(organisation=sofia.organisation)) == [
        nigeria
    ]
    assert not selectors.information_request_list_for_coordinator(organisation=kabul).exists()
    assert not selectors.information_request_list_for_coordinator(organisation=ghana_only).exists()
    assert not services.information_request_may_triage(request=nigeria, user=kabul_coordinator)


def test_the_triage_list_takes_a_fixed_number_of_queries(chinedu, sofia, django_assert_num_queries):
    for n in range(5):
        ask(form_token=f"f{n}")
    InformationRequest.objects.update(status="assigned", assigned_to=chinedu)

    with django_assert_num_queries(2):  # the organisation's countries, then the list
        rows = list(selectors.information_request_list_for_coordinator(organisation=sofia.organisation))
        names = [row.assigned_to.display_name for row in rows]

    assert names == ["Chinedu"] * 5


def test_the_status_filter_and_oldest_first_order(chinedu, sofia):
    older = ask(form_token="1")
    newer = ask(form_token="2")
    services.information_request_assign(request=newer, counsellor=chinedu, by=sofia)
    organisation = sofia.organisation

    new_only = selectors.information_request_list_for_coordinator(organisation=organisation, status="new")
    both = selectors.information_request_list_for_coordinator(organisation=organisation, oldest_first=True)

    assert list(new_only) == [older]
    assert [r.pk for r in both] == [older.pk, newer.pk]


# --- Assigning ------------------------------------------------------------------------------


def test_the_choice_list_holds_only_counsellors_who_serve_the_country_and_speak_the_language(
    chinedu, sofia, lagos
):
    french_only = make_bookable_counsellor(organisation=lagos, languages=("fr",))
    ghana_only = make_bookable_counsellor(organisation=lagos, languages=("en",))
    account_services.counsellor_profile_update(
        user=ghana_only, bio="", accepting_new_clients=True, countries=["GH"], topics=["return"]
    )
    elsewhere = make_bookable_counsellor(languages=("en",))
    request = ask()

    choices = list(selectors.information_request_counsellor_choices(request=request, organisation=lagos))

    assert choices == [chinedu]
    assert french_only not in choices and ghana_only not in choices and elsewhere not in choices


def test_a_coordinator_assigns_a_matching_counsellor_who_is_told_without_the_question(
    chinedu, sofia, django_capture_on_commit_callbacks
):
    request = ask()

    with django_capture_on_commit_callbacks(execute=True):
        assigned = services.information_request_assign(request=request, counsellor=chinedu, by=sofia)

    assert assigned.status == InformationRequest.Status.ASSIGNED
    assert (assigned.assigned_to, assigned.assigned_by) == (chinedu, sofia)
    assert assigned.assigned_at is not None
    assert len(mail.outbox) == 1
    notice = mail.outbox[0]
    assert notice.to == [chinedu.email]
    assert reverse("counselling:intake_mine_detail", args=[request.pk]) in notice.body
    assert QUESTION not in notice.body and QUESTION not in notice.subject


def test_a_counsellor_who_does_not_speak_the_language_cannot_be_assigned(chinedu, sofia, lagos):
    french_only = make_bookable_counsellor(organisation=lagos, languages=("fr",))
    request = ask()

    with pytest.raises(ValidationError) as caught:
        services.information_request_assign(request=request, counsellor=french_only, by=sofia)

    assert "speaks" in caught.value.message_dict["counsellor"][0]
    request.refresh_from_db()
    assert request.status == "new" and request.assigned_to is None


def test_a_counsellor_who_does_not_serve_the_country_cannot_be_assigned(chinedu, sofia, lagos):
    ghana_only = make_bookable_counsellor(organisation=lagos, languages=("en",))
    account_services.counsellor_profile_update(
        user=ghana_only, bio="", accepting_new_clients=True, countries=["GH"], topics=["return"]
    )

    with pytest.raises(ValidationError):
        services.information_request_assign(request=ask(), counsellor=ghana_only, by=sofia)


def test_a_counsellor_of_another_organisation_cannot_be_assigned(chinedu, sofia):
    other = make_bookable_counsellor(languages=("en",))

    with pytest.raises(ValidationError):
        services.information_request_assign(request=ask(), counsellor=other, by=sofia)


def test_a_coordinator_of_an_unrelated_organisation_cannot_assign(chinedu):
    stranger = make_user(Role.COORDINATOR, organisation=OrganisationFactory(country="AF"))

    with pytest.raises(PermissionDenied):
        services.information_request_assign(request=ask(), counsellor=chinedu, by=stranger)


def test_an_answered_request_cannot_be_assigned_again(chinedu, sofia):
    request = services.information_request_assign(request=ask(), counsellor=chinedu, by=sofia)
    services.information_request_answer(request=request, counsellor=chinedu, answer="Yes.")

    with pytest.raises(ValidationError, match="already answered"):
        services.information_request_assign(request=request, counsellor=chinedu, by=sofia)


# --- Answering and closing ------------------------------------------------------------------


@pytest.fixture
def assigned(chinedu, sofia):
    def make(**fields):
        return services.information_request_assign(request=ask(**fields), counsellor=chinedu, by=sofia)

    return make


def test_the_assigned_counsellor_answers_and_an_email_requester_is_told_without_the_answer(
    assigned, chinedu, django_capture_on_commit_callbacks
):
    request = assigned(contact_method="email", contact="amina@example.org")
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        answered = services.information_request_answer(
            request=request, counsellor=chinedu, answer="Yes: the Lagos job centre helps returnees."
        )

    assert answered.status == InformationRequest.Status.ANSWERED
    assert answered.answered_at is not None
    assert len(mail.outbox) == 1
    notice = mail.outbox[0]
    assert notice.to == ["amina@example.org"]
    assert reverse("counselling:intake_check") in notice.body
    assert "job centre" not in notice.body and request.reference not in notice.body


def test_a_phone_requester_is_told_by_sms_once_even_when_the_answer_is_corrected(
    assigned, chinedu, django_capture_on_commit_callbacks
):
    request = assigned(contact_method="phone", contact="+4915123456789")

    with django_capture_on_commit_callbacks(execute=True):
        services.information_request_answer(request=request, counsellor=chinedu, answer="First answer.")
    with django_capture_on_commit_callbacks(execute=True):
        services.information_request_answer(request=request, counsellor=chinedu, answer="Corrected answer.")

    assert [sms.to for sms in MemorySMSBackend.outbox] == ["+4915123456789"]
    assert "First answer" not in MemorySMSBackend.outbox[0].body
    request.refresh_from_db()
    assert request.answer == "Corrected answer."


def test_nobody_is_told_when_no_contact_was_left(assigned, chinedu, django_capture_on_commit_callbacks):
    request = assigned()
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.information_request_answer(request=request, counsellor=chinedu, answer="Yes.")

    assert callbacks == []
    assert mail.outbox == [] and MemorySMSBackend.outbox == []


def test_another_counsellor_cannot_answer(assigned, lagos):
    other = make_bookable_counsellor(organisation=lagos, languages=("en",))

    with pytest.raises(PermissionDenied):
        services.information_request_answer(request=assigned(), counsellor=other, answer="Hello")


def test_an_answer_over_4000_characters_is_refused_and_4000_is_accepted(assigned, chinedu):
    request = assigned()

    with pytest.raises(ValidationError) as caught:
        services.information_request_answer(request=request, counsellor=chinedu, answer="y" * 4001)
    assert "4000" in caught.value.message_dict["answer"][0]

    assert (
        len(
            services.information_request_answer(request=request, counsellor=chinedu, answer="y" * 4000).answer
        )
        == 4000
    )


def test_an_empty_answer_is_refused(assigned, chinedu):
    with pytest.raises(ValidationError):
        services.information_request_answer(request=assigned(), counsellor=chinedu, answer="  ")


def test_a_coordinator_closes_an_unassigned_request_and_is_recorded_as_its_handler(chinedu, sofia):
    closed = services.information_request_close(request=ask(), by=sofia)

    assert closed.status == InformationRequest.Status.CLOSED
    assert closed.assigned_to == sofia and closed.assigned_by == sofia


def test_a_closed_request_cannot_be_answered(assigned, chinedu, sofia):
    request = assigned()
    services.information_request_close(request=request, by=sofia)

    with pytest.raises(ValidationError, match="closed"):
        services.information_request_answer(request=request, counsellor=chinedu, answer="Late")


def test_a_coordinator_of_an_unrelated_organisation_cannot_close(chinedu):
    stranger = make_user(Role.COORDINATOR, organisation=OrganisationFactory(country="AF"))

    with pytest.raises(PermissionDenied):
        services.information_request_close(request=ask(), by=stranger)


# --- Reading the contact --------------------------------------------------------------------


def test_the_contact_is_read_by_coordinator_and_assigned_counsellor_and_logged_without_it(
    assigned, chinedu, sofia, lagos, caplog
):
    request = assigned(contact_method="phone", contact="+4915123456789")
    other = make_bookable_counsellor(organisation=lagos, languages=("en",))

    with caplog.at_level(logging.INFO, logger="counselling.services.intake"):
        assert services.information_request_contact_read(request=request, reader=sofia) == "+4915123456789"
        assert services.information_request_contact_read(request=request, reader=chinedu) == "+4915123456789"
    with pytest.raises(PermissionDenied):
        services.information_request_contact_read(request=request, reader=other)

    reads = [r.getMessage() for r in caplog.records if "read by user" in r.getMessage()]
    assert len(reads) == 2
    assert all("4915123456789" not in line for line in caplog.messages)


# --- Pages ----------------------------------------------------------------------------------


def form_data(client, **fields):
    page = client.get(reverse("counselling:intake_ask"))
    token = page.context["form"].initial["form_token"]
    data = {
        "country": "NG",
        "topic": "work",
        "question": QUESTION,
        "contact_method": "none",
        "contact": "",
        "form_token": token,
    }
    data.update(fields)
    return data


def test_an_anonymous_visitor_asks_and_sees_the_reference_once_even_when_sending_twice(chinedu, client_for):
    visitor = client_for(None)
    data = form_data(visitor)

    first = visitor.post(reverse("counselling:intake_ask"), data)
    again = visitor.post(reverse("counselling:intake_ask"), data)

    request = InformationRequest.objects.get()
    assert first.status_code == again.status_code == 200
    assert request.reference in first.content.decode() and request.reference in again.content.decode()
    assert request.language == "en"
    assert request.reference not in first.get("Location", "")


def test_the_question_is_stored_in_the_interface_language(chinedu, client_for):
    visitor = client_for(None)
    data = form_data(visitor)

    visitor.post(reverse("counselling:intake_ask"), data, HTTP_ACCEPT_LANGUAGE="fr")

    assert InformationRequest.objects.get().language == "fr"


def test_the_form_offers_only_served_countries_and_shows_errors_in_place(chinedu, client_for):
    visitor = client_for(None)
    page = visitor.get(reverse("counselling:intake_ask"))
    offered = [code for code, _name in page.context["form"].fields["country"].choices if code]

    response = visitor.post(reverse("counselling:intake_ask"), form_data(visitor, question="x" * 2001))

    assert offered == ["NG"]
    assert response.status_code == 200
    assert "2000" in str(response.context["form"].errors["question"])
    assert not InformationRequest.objects.exists()


def test_a_bad_phone_number_gets_a_clear_error_on_the_form(chinedu, client_for):
    visitor = client_for(None)

    response = visitor.post(
        reverse("counselling:intake_ask"), form_data(visitor, contact_method="phone", contact="12")
    )

    assert "valid phone number" in str(response.context["form"].errors["contact"])


def test_checking_a_reference_shows_the_status_then_the_answer(assigned, chinedu, client_for):
    request = assigned()
    visitor = client_for(None)

    before = visitor.post(reverse("counselling:intake_check"), {"reference": request.reference.lower()})
    services.information_request_answer(request=request, counsellor=chinedu, answer="Go to the job centre.")
    after = visitor.post(reverse("counselling:intake_check"), {"reference": request.reference})

    assert "A counsellor is looking at it" in before.content.decode()
    assert "job centre" not in before.content.decode()
    assert "Go to the job centre." in after.content.decode()


def test_a_wrong_reference_gets_a_clear_error(chinedu, client_for):
    ask()

    response = client_for(None).post(reverse("counselling:intake_check"), {"reference": "AAAA-BBBB-CCCC"})

    assert response.status_code == 200
    assert "We found no question with this reference code" in response.content.decode()


def test_reference_lookups_are_limited_per_connection(chinedu, client_for):
    visitor = client_for(None)
    url = reverse("counselling:intake_check")
    for _n in range(LOOKUPS_PER_WINDOW):
        assert visitor.post(url, {"reference": "AAAA-BBBB-CCCC"}).status_code == 200

    assert visitor.post(url, {"reference": "AAAA-BBBB-CCCC"}).status_code == 429


def test_the_triage_page_lists_requests_and_the_detail_shows_the_contact(chinedu, sofia, client_for):
    request = ask(contact_method="email", contact="amina@example.org")
    coordinator = client_for(sofia)

    listing = coordinator.get(reverse("counselling:intake_triage"))
    detail = coordinator.get(reverse("counselling:intake_triage_detail", args=[request.pk]))

    assert listing.status_code == 200 and "amina@example.org" not in listing.content.decode()
    assert list(listing.context["page"].object_list) == [request]
    assert "amina@example.org" in detail.content.decode()
    assert [c for c, _n in detail.context["assign_form"].fields["counsellor"].choices if c] == [chinedu.pk]


def test_a_coordinator_of_an_unrelated_organisation_finds_no_request(chinedu, client_for):
    request = ask()
    stranger = make_user(Role.COORDINATOR, organisation=OrganisationFactory(country="AF"))

    response = client_for(stranger).get(reverse("counselling:intake_triage_detail", args=[request.pk]))

    assert response.status_code == 404


def test_assigning_from_the_page_refuses_a_counsellor_not_in_the_list(chinedu, sofia, lagos, client_for):
    french_only = make_bookable_counsellor(organisation=lagos, languages=("fr",))
    request = ask()

    response = client_for(sofia).post(
        reverse("counselling:intake_assign", args=[request.pk]), {"counsellor": french_only.pk}
    )
    ok = client_for(sofia).post(
        reverse("counselling:intake_assign", args=[request.pk]), {"counsellor": chinedu.pk}
    )

    assert response.status_code == 200 and response.context["assign_form"].errors
    assert ok.status_code == 302
    request.refresh_from_db()
    assert request.assigned_to == chinedu


def test_the_counsellor_answers_from_their_page_and_others_find_nothing(assigned, chinedu, lagos, client_for):
    request = assigned()
    other = make_bookable_counsellor(organisation=lagos, languages=("en",))
    url = reverse("counselling:intake_mine_detail", args=[request.pk])

    listing = client_for(chinedu).get(reverse("counselling:intake_mine"))
    answered = client_for(chinedu).post(url, {"answer": "Yes, come and see us."})

    assert list(listing.context["page"].object_list) == [request]
    assert answered.status_code == 302
    assert client_for(other).get(url).status_code == 404
    request.refresh_from_db()
    assert request.status == "answered"


def test_a_coordinator_closes_a_request_from_the_page(chinedu, sofia, client_for):
    request = ask()

    client_for(sofia).post(reverse("counselling:intake_close", args=[request.pk]))

    request.refresh_from_db()
    assert request.status == "closed"


def test_the_dashboard_counts_new_requests_for_coordinators_and_assigned_ones_for_counsellors(
    assigned, chinedu, sofia, client_for
):
    assigned()
    ask(form_token="second")

    coordinator_page = client_for(sofia).get(reverse("frontend:dashboard")).content.decode()
    counsellor_page = client_for(chinedu).get(reverse("frontend:dashboard")).content.decode()

    assert "1 new information request" in coordinator_page
    assert "1 request assigned to you" in counsellor_page
