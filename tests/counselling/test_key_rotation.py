"""`rotate_field_keys` re-seals every sealed column, not only case notes: the contacts people
leave with a question or a complaint, and the phone numbers and wallets allowances are paid to
(whose duplicate-finding fingerprints it refreshes). After it, the old key can go and nothing is
lost. (Case-note rotation itself: tests/counselling/test_case_notes.py.)"""

import base64
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import Role
from allowances.models import PayoutContact
from allowances.services.contacts import contact_fingerprint, payout_contact_set, payout_contact_value
from counselling import crypto
from counselling.models import Feedback, InformationRequest
from counselling.services import feedback as feedback_services
from counselling.services import intake as intake_services
from tests.factories import OrganisationFactory, make_bookable_counsellor, make_user

pytestmark = pytest.mark.django_db

KEY_A = base64.urlsafe_b64encode(bytes(range(32))).decode()
KEY_B = base64.urlsafe_b64encode(bytes(range(100, 132))).decode()
KEY_B_ID = crypto.key_id(base64.urlsafe_b64decode(KEY_B))
NUMBER = "+2348031234567"


@pytest.fixture(autouse=True)
def _key_a(settings):
    settings.FIELD_ENCRYPTION_KEYS = [KEY_A]


@pytest.fixture
def sealed_with_a(db):
    make_bookable_counsellor(organisation=OrganisationFactory(country="NG"), languages=("en",))
    question = intake_services.information_request_create(
        country="NG",
        language="en",
        topic=InformationRequest.Topic.WORK,
        question="Can I work while my papers are checked?",
        contact_method="phone",
        contact="+49 151 2345 6789",
    )
    complaint = feedback_services.feedback_create(
        kind="complaint",
        about="counselling",
        language="en",
        body="Nobody came to my appointment.",
        contact_method="email",
        contact="amina@example.org",
    )
    payee = make_user(Role.MIGRANT, display_name="Amina")
    payout_contact_set(user=payee, method="airtime", value=NUMBER)
    return question, complaint, payee


def rotate() -> str:
    out = StringIO()
    call_command("rotate_field_keys", "--batch-size", "1", stdout=out)
    return out.getvalue()


def test_rotation_reseals_contacts_and_payout_numbers_so_that_the_old_key_can_go(settings, sealed_with_a):
    question, complaint, payee = sealed_with_a
    settings.FIELD_ENCRYPTION_KEYS = [KEY_B, KEY_A]

    report = rotate()

    for label in ("Information request contacts", "Feedback contacts", "Payout contacts"):
        assert (
            f"{label}: 1 re-encrypted with key {KEY_B_ID}, 0 already used it, 0 could not be opened" in report
        )
    settings.FIELD_ENCRYPTION_KEYS = [KEY_B]
    question = InformationRequest.objects.get(pk=question.pk)
    complaint = Feedback.objects.get(pk=complaint.pk)
    assert (
        intake_services.contact_unseal(
            sealed=question.contact_sealed, model="InformationRequest", reference=question.reference
        )
        == "+4915123456789"
    )
    assert (
        intake_services.contact_unseal(
            sealed=complaint.contact_sealed, model="Feedback", reference=complaint.reference
        )
        == "amina@example.org"
    )
    assert payout_contact_value(PayoutContact.objects.get(user=payee)) == NUMBER


def test_after_rotation_a_number_given_before_it_is_found_again_as_a_duplicate(settings, sealed_with_a):
    _question, _complaint, payee = sealed_with_a
    settings.FIELD_ENCRYPTION_KEYS = [KEY_B, KEY_A]
    other = make_user(Role.MIGRANT, display_name="Someone else")
    payout_contact_set(user=other, method="mobile_money", value="+234 803 123 4567", actor=other)
    fingerprints = lambda: set(PayoutContact.objects.values_list("fingerprint", flat=True))  # noqa: E731
    assert len(fingerprints()) == 2  # the old key's fingerprint does not match the new one

    rotate()

    assert fingerprints() == {contact_fingerprint(NUMBER)}
    assert (
        PayoutContact.objects.get(user=payee).fingerprint == PayoutContact.objects.get(user=other).fingerprint
    )


def test_running_rotation_again_changes_nothing_and_rows_without_a_contact_are_left_alone(
    settings, sealed_with_a
):
    intake_services.information_request_create(
        country="NG", language="en", topic=InformationRequest.Topic.WORK, question="No contact left, please."
    )
    settings.FIELD_ENCRYPTION_KEYS = [KEY_B, KEY_A]
    rotate()
    before = sorted(PayoutContact.objects.values_list("value_sealed", "fingerprint"))

    report = rotate()

    assert "Information request contacts: 0 re-encrypted" in report
    assert "1 already used it" in report
    assert sorted(PayoutContact.objects.values_list("value_sealed", "fingerprint")) == before
    assert InformationRequest.objects.filter(contact_sealed="").count() == 1


def test_a_payout_contact_no_key_opens_is_named_by_row_and_the_command_fails_after_the_others(
    settings, sealed_with_a
):
    _question, _complaint, payee = sealed_with_a
    contact = PayoutContact.objects.get(user=payee)
    settings.FIELD_ENCRYPTION_KEYS = [KEY_B]  # key A forgotten

    with pytest.raises(CommandError, match=rf"payout contacts {contact.pk}\b") as raised:
        rotate()

    assert NUMBER not in str(raised.value)
    assert PayoutContact.objects.get(pk=contact.pk).value_sealed == contact.value_sealed
