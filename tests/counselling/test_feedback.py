"""Feedback and complaints: anyone sends one (contact sealed, reference code to follow it); the
coordinators responsible see it in their queue and move it to "being looked into" and
"resolved" with a response; the sender is told of each change without its text."""

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from accounts.models import Role
from counselling.models import Feedback
from counselling.selectors import feedback as selectors
from counselling.services import conversation_get_or_create
from counselling.services import feedback as services
from counselling.services.intake import contact_unseal
from counselling.views.intake import LOOKUPS_PER_WINDOW
from tests.factories import OrganisationFactory, make_bookable_counsellor, make_user

pytestmark = pytest.mark.django_db

BODY = "The counsellor did not come to our video call and nobody told me."


@pytest.fixture
def lagos():
    return OrganisationFactory(name="Lagos partner", country="NG")


@pytest.fixture
def kabul():
    return OrganisationFactory(name="Kabul partner", country="AF")


@pytest.fixture
def sofia(lagos):
    return make_user(Role.COORDINATOR, organisation=lagos, display_name="Sofia")


@pytest.fixture
def hamid(kabul):
    return make_user(Role.COORDINATOR, organisation=kabul, display_name="Hamid")


def send(**fields):
    values = {"kind": "complaint", "about": "counselling", "language": "en", "body": BODY}
    values.update(fields)
    return services.feedback_create(**values)


def queue(coordinator, **filters):
    return list(selectors.feedback_list_for_coordinator(organisation=coordinator.organisation, **filters))


# --- Sending --------------------------------------------------------------------------------


def test_a_complaint_is_stored_with_a_reference_and_its_contact_sealed():
    item = send(country="NG", contact_method="email", contact="Amina@Example.ORG", form_token="f")

    assert item.status == Feedback.Status.RECEIVED and len(item.reference) == 14
    assert item.contact_sealed.startswith("v1:") and "amina" not in item.contact_sealed.lower()
    assert contact_unseal(sealed=item.contact_sealed, model="Feedback", reference=item.reference) == (
        "Amina@example.org"
    )


def test_what_happened_is_limited_to_4000_characters():
    assert len(send(body="z" * 4000, form_token="a").body) == 4000

    with pytest.raises(ValidationError) as caught:
        send(body="z" * 4001, form_token="b")

    assert "4000" in caught.value.message_dict["body"][0]
    assert Feedback.objects.count() == 1


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"kind": "praise"}, "kind"),
        ({"about": "weather"}, "about"),
        ({"country": "XX"}, "country"),
        ({"body": ""}, "body"),
        ({"contact_method": "phone", "contact": "123"}, "contact"),
    ],
)
def test_bad_input_is_refused_by_field(fields, field):
    with pytest.raises(ValidationError) as caught:
        send(**fields)

    assert field in caught.value.message_dict
    assert not Feedback.objects.exists()


def test_the_same_form_sent_twice_stores_one_item():
    assert send(form_token="x").pk == send(form_token="x").pk
    assert Feedback.objects.count() == 1


# --- Who sees what --------------------------------------------------------------------------


def test_an_item_with_a_country_reaches_only_coordinators_in_that_country(sofia, hamid):
    item = send(country="NG")

    assert queue(sofia) == [item]
    assert queue(hamid) == []
    assert not services.feedback_may_handle(feedback=item, user=hamid)


def test_an_item_without_country_from_a_client_goes_to_their_counsellors_organisation(sofia, hamid, kabul):
    amina = make_user(Role.MIGRANT, country_of_origin="NG")
    mariam = make_user(Role.COUNSELLOR, organisation=kabul)
    conversation_get_or_create(client=amina, counsellor=mariam)

    item = send(sender=amina)

    assert queue(hamid) == [item]
    assert queue(sofia) == []


def test_an_item_without_country_from_someone_without_counsellor_follows_their_country_of_origin(
    sofia, hamid
):
    farid = make_user(Role.MIGRANT, country_of_origin="AF")

    item = send(sender=farid)

    assert queue(hamid) == [item]
    assert queue(sofia) == []


def test_an_anonymous_item_without_country_is_seen_by_every_coordinator(sofia, hamid):
    item = send()

    assert queue(sofia) == [item] and queue(hamid) == [item]


def test_the_queue_filters_by_status_and_kind(sofia):
    complaint = send(country="NG", form_token="1")
    idea = send(country="NG", kind="feedback", form_token="2")
    services.feedback_update(feedback=idea, by=sofia, status="in_review")

    assert queue(sofia, kind="complaint") == [complaint]
    assert queue(sofia, status="in_review") == [idea]


# --- Handling -------------------------------------------------------------------------------


def test_moving_to_review_then_resolved_records_who_and_when_and_tells_the_sender(
    sofia, django_capture_on_commit_callbacks
):
    item = send(country="NG", contact_method="email", contact="amina@example.org")

    with django_capture_on_commit_callbacks(execute=True):
        reviewed = services.feedback_update(feedback=item, by=sofia, status="in_review")
    with django_capture_on_commit_callbacks(execute=True):
        resolved = services.feedback_update(
            feedback=item, by=sofia, status="resolved", response="We spoke with the counsellor; sorry."
        )

    assert reviewed.handled_by == sofia and reviewed.resolved_at is None
    assert resolved.status == "resolved" and resolved.resolved_at is not None
    assert resolved.updated_at >= item.updated_at
    assert [m.to for m in mail.outbox] == [["amina@example.org"], ["amina@example.org"]]
    assert all(BODY not in m.body and "spoke with" not in m.body for m in mail.outbox)
    assert reverse("counselling:feedback_check") in mail.outbox[0].body


def test_resolving_needs_a_response(sofia):
    item = send(country="NG")

    with pytest.raises(ValidationError) as caught:
        services.feedback_update(feedback=item, by=sofia, status="resolved", response=" ")

    assert "response" in caught.value.message_dict
    item.refresh_from_db()
    assert item.status == "received"


def test_a_resolved_item_cannot_change_again(sofia):
    item = send(country="NG")
    services.feedback_update(feedback=item, by=sofia, status="resolved", response="Done.")

    with pytest.raises(ValidationError, match="already resolved"):
        services.feedback_update(feedback=item, by=sofia, status="in_review")


def test_a_coordinator_of_an_unrelated_organisation_cannot_handle_an_item(hamid):
    with pytest.raises(PermissionDenied):
        services.feedback_update(feedback=send(country="NG"), by=hamid, status="in_review")


def test_a_response_over_4000_characters_is_refused(sofia):
    with pytest.raises(ValidationError):
        services.feedback_update(
            feedback=send(country="NG"), by=sofia, status="resolved", response="r" * 4001
        )


def test_the_sender_without_contact_is_not_told(sofia, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.feedback_update(feedback=send(country="NG"), by=sofia, status="in_review")

    assert callbacks == [] and mail.outbox == []


# --- Pages ----------------------------------------------------------------------------------


def test_anyone_sends_feedback_and_checks_its_status_and_response(sofia, client_for):
    visitor = client_for(None)
    token = visitor.get(reverse("counselling:feedback_new")).context["form"].initial["form_token"]
    data = {
        "kind": "complaint",
        "about": "website",
        "country": "NG",
        "body": BODY,
        "contact_method": "none",
        "form_token": token,
    }

    sent = visitor.post(reverse("counselling:feedback_new"), data)
    item = Feedback.objects.get()
    services.feedback_update(feedback=item, by=sofia, status="resolved", response="Fixed, thank you.")
    checked = visitor.post(reverse("counselling:feedback_check"), {"reference": item.reference})

    assert item.reference in sent.content.decode()
    assert "Resolved" in checked.content.decode() and "Fixed, thank you." in checked.content.decode()


def test_a_wrong_feedback_reference_gets_a_clear_error_and_lookups_are_limited(client_for):
    visitor = client_for(None)
    url = reverse("counselling:feedback_check")

    first = visitor.post(url, {"reference": "not a code"})
    for _n in range(LOOKUPS_PER_WINDOW - 1):
        visitor.post(url, {"reference": "AAAA-BBBB-CCCC"})

    assert "We found nothing with this reference code" in first.content.decode()
    assert visitor.post(url, {"reference": "AAAA-BBBB-CCCC"}).status_code == 429


def test_the_coordinator_resolves_from_the_item_page_which_shows_the_contact(sofia, hamid, client_for):
    item = send(country="NG", contact_method="phone", contact="+4915123456789")
    url = reverse("counselling:feedback_item", args=[item.pk])

    page = client_for(sofia).get(url)
    refused = client_for(sofia).post(url, {"status": "resolved", "response": ""})
    done = client_for(sofia).post(url, {"status": "resolved", "response": "We called you."})

    assert "+4915123456789" in page.content.decode()
    assert refused.status_code == 200 and "response" in refused.context["form"].errors
    assert done.status_code == 302
    assert client_for(hamid).get(url).status_code == 404
    item.refresh_from_db()
    assert item.status == "resolved"


def test_the_queue_page_lists_items_for_the_coordinator(sofia, client_for):
    item = send(country="NG")

    response = client_for(sofia).get(reverse("counselling:feedback_queue"), {"kind": "complaint"})

    assert list(response.context["page"].object_list) == [item]
    assert BODY not in response.content.decode()


def test_the_dashboard_tells_coordinators_about_new_feedback(sofia, client_for):
    send(country="NG")

    assert (
        "1 new feedback or complaint" in client_for(sofia).get(reverse("frontend:dashboard")).content.decode()
    )


def test_the_feedback_queue_has_a_fixed_number_of_queries(sofia, django_assert_num_queries):
    for n in range(4):
        item = send(country="NG", form_token=str(n))
        services.feedback_update(feedback=item, by=sofia, status="in_review")
    make_bookable_counsellor(organisation=sofia.organisation)

    with django_assert_num_queries(4):  # our countries, every handled country (2), the list
        names = [i.handled_by.display_name for i in queue(sofia)]

    assert names == ["Sofia"] * 4
