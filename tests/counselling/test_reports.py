"""Reporting a message: participants flag others' messages once; the organisation's coordinators
see the queue and close reports; nobody else sees or touches them."""

import uuid

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import Role
from counselling import services
from counselling.models import MessageReport
from tests.factories import OrganisationFactory, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def setting():
    organisation = OrganisationFactory()
    client = make_user(Role.MIGRANT)
    counsellor = make_user(Role.COUNSELLOR, organisation=organisation)
    conversation = services.conversation_get_or_create(client=client, counsellor=counsellor)
    message, _ = services.message_send(
        conversation=conversation, sender=counsellor, body="Send me money first.", client_id=uuid.uuid4()
    )
    coordinator = make_user(Role.COORDINATOR, organisation=organisation)
    return client, counsellor, conversation, message, coordinator


def test_a_participant_reports_a_message_once(setting, client_for):
    client, _counsellor, conversation, message, _coordinator = setting
    url = reverse("counselling:report", args=[conversation.pk, message.pk])

    first = client_for(client).post(url, {"reason": "He asks for money."})
    client_for(client).post(url, {"reason": "Again."})

    assert first.status_code == 302
    report = MessageReport.objects.get()
    assert (report.reporter, report.reason, report.status) == (client, "He asks for money.", "open")


def test_nobody_reports_their_own_message_and_strangers_find_nothing(setting, client_for):
    _client, counsellor, conversation, message, _coordinator = setting
    url = reverse("counselling:report", args=[conversation.pk, message.pk])

    with pytest.raises(ValidationError):
        services.message_report(message=message, reporter=counsellor)
    assert client_for(make_user(Role.MIGRANT)).get(url).status_code == 404
    assert not MessageReport.objects.exists()


def test_the_organisations_coordinator_sees_and_closes_the_report(setting, client_for):
    client, _counsellor, _conversation, message, coordinator = setting
    report, _ = services.message_report(message=message, reporter=client, reason="money")
    browser = client_for(coordinator)

    page = browser.get(reverse("counselling:org_reports")).content.decode()
    refused = browser.post(reverse("counselling:org_report_resolve", args=[report.pk]), {"outcome": ""})
    browser.post(reverse("counselling:org_report_resolve", args=[report.pk]), {"outcome": "Spoke with him."})

    assert "Send me money first." in page
    assert refused.status_code == 302
    report.refresh_from_db()
    assert (report.status, report.resolved_by, report.outcome) == ("resolved", coordinator, "Spoke with him.")


def test_a_coordinator_of_another_organisation_neither_sees_nor_closes_it(setting, client_for):
    client, _counsellor, _conversation, message, _coordinator = setting
    report, _ = services.message_report(message=message, reporter=client)
    outsider = client_for(make_user(Role.COORDINATOR, organisation=OrganisationFactory()))

    page = outsider.get(reverse("counselling:org_reports")).content.decode()
    response = outsider.post(reverse("counselling:org_report_resolve", args=[report.pk]), {"outcome": "x"})

    assert "Send me money first." not in page
    assert response.status_code == 404
    report.refresh_from_db()
    assert report.status == "open"
