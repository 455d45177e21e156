""" "My allowance", joining and leaving a programme: a person sees their own allowances, how and
when they were paid, and the activities that made them eligible; nothing of anyone else."""

from datetime import UTC, datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from allowances.models import AuditEvent, Consent, Payment
from courses.models import LessonProgress
from frontend.dashboard import dashboard_cards
from tests.allowances.people_data import batch_for, consent, entitle, pay, period_of, programme_for
from tests.courses.factories import lessons_of, make_course
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def programme(coordinator):
    return programme_for(coordinator, name="Connect Athens")


def _done(user, lesson):
    return LessonProgress.objects.create(
        user=user, lesson=lesson, completed_at=datetime(2025, 3, 4, 10, tzinfo=UTC)
    )


def test_my_allowance_shows_amount_method_date_and_the_lessons_that_counted(migrant, programme, client_for):
    lesson, _other = lessons_of(make_course(modules=(("text", "text"),), title="Everyday German"))
    _done(migrant, lesson)
    period = period_of(programme)
    entitlement = entitle(
        migrant,
        period,
        1250,
        evidence={
            "lessons": [{"id": lesson.pk, "on": "2025-03-04"}],
            "active_days": ["2025-03-04", "2025-03-05"],
        },
    )
    pay(entitlement, batch_for(period), method="data_bundle")

    page = client_for(migrant).get(reverse("allowances:mine")).content.decode()

    assert "€12.50" in page
    assert "Data bundle" in page
    assert "Received" in page
    assert "Lesson finished: <bdi>Lesson 1.1</bdi>" in page
    assert "2 days with learning" in page


def test_nothing_of_another_person_is_shown(migrant, programme, client_for):
    other = make_user(Role.MIGRANT, display_name="Bashir")
    lesson = lessons_of(make_course(title="Secret course"))[0]
    _done(other, lesson)
    period = period_of(programme)
    entitle(other, period, 4321, evidence={"lessons": [{"id": lesson.pk, "on": "2025-03-04"}]})

    page = client_for(migrant).get(reverse("allowances:mine"))

    assert page.context["rows"] == []
    assert "43.21" not in page.content.decode()


def test_evidence_that_is_no_longer_the_persons_is_counted_not_named(migrant, programme, client_for):
    lesson = lessons_of(make_course())[0]
    # The snapshot names a lesson and a session, but the person has no progress in that lesson
    # any more and the appointment id is not theirs.
    period = period_of(programme)
    entitle(
        migrant,
        period,
        evidence={
            "lessons": [{"id": lesson.pk, "on": "2025-03-04"}],
            "sessions": [{"id": 999999, "on": "2025-03-06"}],
        },
    )

    page = client_for(migrant).get(reverse("allowances:mine")).content.decode()

    assert "Lesson 1.1" not in page
    assert "1 lesson finished that is no longer available" in page
    assert "1 counselling session attended" in page


def test_a_failed_payment_and_its_reissue_are_explained(migrant, programme, client_for):
    period = period_of(programme)
    entitlement = entitle(migrant, period)
    batch = batch_for(period)
    failed = pay(entitlement, batch, status=Payment.Status.FAILED)
    client = client_for(migrant)

    assert "Did not arrive" in client.get(reverse("allowances:mine")).content.decode()
    assert any(card.needs_action for card in dashboard_cards(migrant) if card.title == "My allowance")

    pay(entitlement, batch, status=Payment.Status.PENDING, reissue_of=failed)
    page = client.get(reverse("allowances:mine")).content.decode()
    assert "On its way" in page
    assert "second try" in page


def test_my_allowance_is_in_the_persons_language(migrant, programme, client_for):
    period = period_of(programme)
    pay(entitle(migrant, period, 1250), batch_for(period))
    migrant.language = "ar"
    migrant.save()
    client = client_for(migrant)
    client.cookies["django_language"] = "ar"

    page = client.get(reverse("allowances:mine"), HTTP_ACCEPT_LANGUAGE="ar").content.decode()

    assert 'dir="rtl"' in page
    assert "12.50\xa0€" in page  # Babel's Arabic pattern: amount, then the sign


def test_joining_records_consent_and_demographics_and_is_audited(migrant, programme, client_for):
    response = client_for(migrant).post(
        reverse("allowances:join", args=[programme.pk]),
        {"agree": "on", "sex": "female", "birth_year": "1994", "share_demographics": "on"},
    )

    assert response.status_code == 302
    given = Consent.objects.get(user=migrant, programme=programme)
    assert (given.sex, given.birth_year, given.share_demographics, given.withdrawn_at) == (
        "female",
        1994,
        True,
        None,
    )
    event = AuditEvent.objects.get(action="consent.give")
    # The audit log is kept for good: it records that they were given, never the values.
    assert event.data == {
        "programme": programme.pk,
        "share_demographics": True,
        "sex_given": True,
        "birth_year_given": True,
    }


def test_joining_needs_the_box_ticked_and_a_real_year(migrant, programme, client_for):
    client = client_for(migrant)
    url = reverse("allowances:join", args=[programme.pk])

    unticked = client.post(url, {"sex": "", "birth_year": ""})
    future = client.post(url, {"agree": "on", "birth_year": str(timezone.now().year + 1)})

    assert unticked.context["form"].errors["agree"]
    assert future.context["form"].errors["birth_year"]
    assert not Consent.objects.exists()


def test_leaving_keeps_the_row_and_joining_again_gives_it_anew(migrant, programme, client_for):
    client = client_for(migrant)
    client.post(reverse("allowances:join", args=[programme.pk]), {"agree": "on", "share_demographics": "on"})

    client.post(reverse("allowances:leave", args=[programme.pk]))
    left = Consent.objects.get()
    assert left.withdrawn_at is not None
    assert AuditEvent.objects.filter(action="consent.withdraw").count() == 1

    client.post(reverse("allowances:join", args=[programme.pk]), {"agree": "on"})
    again = Consent.objects.get()
    assert again.withdrawn_at is None and not again.share_demographics


def test_leaving_a_programme_one_is_not_in_changes_nothing(migrant, programme, client_for):
    response = client_for(migrant).post(reverse("allowances:leave", args=[programme.pk]), follow=True)

    assert "You are not taking part in this programme." in response.content.decode()
    assert not Consent.objects.exists()
    assert not AuditEvent.objects.exists()


def test_an_inactive_programme_cannot_be_joined(migrant, programme, client_for):
    programme.active = False
    programme.save()

    assert client_for(migrant).get(reverse("allowances:join", args=[programme.pk])).status_code == 404


def test_the_card_offers_open_programmes_to_people_in_none(migrant, programme):
    card = next(card for card in dashboard_cards(migrant) if card.title == "My allowance")
    assert card.context["latest"] is None and not card.context["in_programme"]

    consent(migrant, programme)
    card = next(card for card in dashboard_cards(migrant) if card.title == "My allowance")
    assert card.context["in_programme"]
