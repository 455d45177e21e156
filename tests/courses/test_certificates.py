"""Certificates: issued once per learner and course, only for a complete course; the owner's
page and PDF; the public verification page with its rate limit."""

import re
import zlib
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from courses.certificate_pdf import CertificateText, certificate_pdf_render
from courses.models import Certificate, LessonProgress
from courses.services import certificates as services
from courses.services.certificates import (
    CODE_ALPHABET,
    certificate_code_display,
    certificate_code_normalise,
    certificate_issue,
)
from tests.courses.factories import lessons_of, make_course
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def complete(user, course) -> None:
    for lesson in lessons_of(course):
        LessonProgress.objects.create(user=user, lesson=lesson, completed_at=timezone.now())


@pytest.fixture
def finished(migrant):
    course = make_course(title="German A1", estimated_hours=12, modules=(("text", "video"), ("text",)))
    complete(migrant, course)
    return course


def test_a_complete_course_gets_a_certificate_with_name_title_and_hours_copied(migrant, finished):
    certificate = certificate_issue(user=migrant, course=finished)
    finished.title = "German A1 (new edition)"
    finished.save()

    certificate.refresh_from_db()
    assert certificate.learner_name == "Amina"
    assert certificate.course_title == "German A1"
    assert certificate.hours == 12
    assert len(certificate.code) == 12 and set(certificate.code) <= set(CODE_ALPHABET)
    assert not set(certificate.code) & set("0O1I")


def test_issuing_twice_returns_the_same_certificate(migrant, finished):
    first = certificate_issue(user=migrant, course=finished)
    second = certificate_issue(user=migrant, course=finished)

    assert first.pk == second.pk
    assert Certificate.objects.count() == 1


def test_a_concurrent_issue_that_wins_the_race_is_returned(migrant, finished):
    theirs = Certificate.objects.create(
        code="ABCDEFGHJKLM", user=migrant, course=finished, learner_name="Amina", course_title="x", hours=1
    )
    real_filter = Certificate.objects.filter
    calls = {"n": 0}

    def first_read_misses(*args, **kwargs):
        # The first read happens before the other request commits: it sees nothing.
        calls["n"] += 1
        return real_filter(pk__in=[]) if calls["n"] == 1 else real_filter(*args, **kwargs)

    with mock.patch.object(Certificate.objects, "filter", side_effect=first_read_misses):
        got = certificate_issue(user=migrant, course=finished)

    assert got.pk == theirs.pk
    assert Certificate.objects.count() == 1


def test_a_taken_code_is_replaced_by_a_fresh_one(migrant, finished):
    other = make_user(Role.MIGRANT)
    complete(other, finished)
    taken = certificate_issue(user=other, course=finished).code
    codes = iter([taken, "ABCDEFGHJKLM"])

    with mock.patch.object(services, "certificate_code_new", lambda: next(codes)):
        mine = certificate_issue(user=migrant, course=finished)

    assert mine.code == "ABCDEFGHJKLM"


def test_an_incomplete_course_gets_no_certificate(migrant):
    course = make_course(modules=(("text", "text"),))
    first = lessons_of(course)[0]
    LessonProgress.objects.create(user=migrant, lesson=first, completed_at=timezone.now())

    with pytest.raises(ValidationError):
        certificate_issue(user=migrant, course=course)
    assert not Certificate.objects.exists()


def test_a_course_without_lessons_gets_no_certificate(migrant):
    with pytest.raises(ValidationError):
        certificate_issue(user=migrant, course=make_course(modules=()))


def test_codes_are_read_in_any_case_with_spaces_and_dashes():
    assert certificate_code_normalise(" k7m2-qx9p 4htd ") == "K7M2QX9P4HTD"
    assert certificate_code_display("K7M2QX9P4HTD") == "K7M2-QX9P-4HTD"


def test_integrity_errors_other_than_a_race_are_not_swallowed_forever(migrant, finished):
    with (
        mock.patch.object(Certificate.objects, "create", side_effect=IntegrityError),
        pytest.raises(RuntimeError),
    ):
        certificate_issue(user=migrant, course=finished)


# --- Pages ----------------------------------------------------------------------------------


def test_the_owner_sees_a_printable_certificate_with_code_and_verification_address(
    client_for, migrant, finished
):
    certificate = certificate_issue(user=migrant, course=finished)

    page = client_for(migrant).get(reverse("courses:certificate", args=[certificate.code]))

    html = page.content.decode()
    assert page.status_code == 200
    assert "Amina" in html and "German A1" in html and "12 hours of learning" in html
    assert certificate_code_display(certificate.code) in html
    assert f"/courses/verify/?code={certificate.code}" in html
    assert "certificate.css" in html


def test_the_certificate_page_follows_the_learners_language(client_for, migrant, finished):
    migrant.language = "ar"
    migrant.save()
    certificate = certificate_issue(user=migrant, course=finished)

    html = client_for(migrant).get(reverse("courses:certificate", args=[certificate.code])).content.decode()

    assert 'dir="rtl"' in html
    # The date in Arabic (CLDR month names), not in English.
    assert re.search("[\u0600-\u06ff]{3,}", html)
    assert timezone.now().strftime("%B") not in html


@pytest.mark.parametrize("who", ["other learner", "coordinator", "admin"])
def test_nobody_but_the_owner_sees_a_certificate(client_for, migrant, finished, who):
    certificate = certificate_issue(user=migrant, course=finished)
    role = {"other learner": Role.MIGRANT, "coordinator": Role.COORDINATOR, "admin": Role.ADMIN}[who]
    client = client_for(make_user(role))

    assert client.get(reverse("courses:certificate", args=[certificate.code])).status_code == 404
    assert client.get(reverse("courses:certificate_pdf", args=[certificate.code])).status_code == 404


def test_the_pdf_is_a_small_pdf_holding_the_name_and_code(client_for, migrant, finished):
    certificate = certificate_issue(user=migrant, course=finished)

    response = client_for(migrant).get(reverse("courses:certificate_pdf", args=[certificate.code]))

    data = b"".join(response.streaming_content) if response.streaming else response.content
    assert response["Content-Type"] == "application/pdf"
    assert data.startswith(b"%PDF")
    assert len(data) < 60_000  # subset fonts only
    text = pdf_unicode_text(data)
    assert "Amina" in text
    assert certificate_code_display(certificate.code) in text


def _stream(data: bytes, number: str) -> str:
    match = re.search(
        rb"\n" + number.encode() + rb" 0 obj\n<<(.*?)>>\nstream\r?\n(.*?)\r?\nendstream", data, re.S
    )
    assert match, number
    head, body = match.groups()
    return (zlib.decompress(body) if b"FlateDecode" in head else body).decode("latin-1")


def pdf_unicode_text(data: bytes) -> str:
    """The text a PDF draws, read back through each font's ToUnicode map: enough to show that a
    word's glyphs were drawn (and from a font that has them), without a PDF library."""
    # Font resource name -> font object -> its ToUnicode stream: glyph id -> characters.
    resources = dict(re.findall(rb"/(F\d+) (\d+) 0 R", data))
    maps: dict[str, dict[bytes, str]] = {}
    for name, number in resources.items():
        font = re.search(rb"\n" + number + rb" 0 obj\n<<(.*?)>>\nendobj", data, re.S)
        assert font
        to_unicode = re.search(rb"/ToUnicode (\d+) 0 R", font.group(1))
        cmap = _stream(data, to_unicode.group(1).decode()) if to_unicode else ""
        maps[name.decode()] = {
            bytes.fromhex(glyph): bytes.fromhex(uni).decode("utf-16-be")
            for block in re.findall(r"beginbfchar(.*?)endbfchar", cmap, re.S)
            for glyph, uni in re.findall(r"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block)
        }
    page = _stream(data, re.search(rb"/Contents (\d+) 0 R", data).group(1).decode())
    text: list[str] = []
    current: dict[bytes, str] = {}
    escapes = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f"}
    for font, literal in re.findall(r"/(F\d+) [\d.]+ Tf|\(((?:\\.|[^\\)])*)\) ?Tj", page, re.S):
        if font:
            current = maps[font]
            continue
        raw = re.sub(r"\\(.)", lambda m: escapes.get(m.group(1), m.group(1)), literal, flags=re.S)
        glyphs = raw.encode("latin-1")
        text.extend(current.get(glyphs[i : i + 2], "?") for i in range(0, len(glyphs) - 1, 2))
    return "".join(text)


@pytest.mark.parametrize(
    "name, title",
    [
        ("فاطمة الزهراء", "اللغة الألمانية A1 للحياة اليومية"),  # Arabic, mixed with Latin
        ("احمد ښکلی", "د ژبې کورس"),  # Pashto letters
        ("Amina Yusuf", "German A1"),
    ],
)
def test_pdfs_are_drawn_for_arabic_pashto_and_latin_names(name, title):
    data = certificate_pdf_render(
        CertificateText(
            heading="Certificate of completion",
            certifies="This certifies that",
            name=name,
            completed="has completed the course",
            course=title,
            details="3 hours of learning · 1 June 2026",
            code_label="Verification code:",
            code="K7M2-QX9P-4HTD",
            check_label="Check it at",
            url="https://passage.example/courses/verify/?code=K7M2QX9P4HTD",
        )
    )

    text = pdf_unicode_text(data)
    assert data.startswith(b"%PDF")
    # Every letter of the name was drawn from a font that has it (no .notdef boxes).
    assert set(name.replace(" ", "")) <= set(text)
    assert "K7M2-QX9P-4HTD" in text


def test_anyone_can_check_a_genuine_code_typed_loosely(client, migrant, finished):
    certificate = certificate_issue(user=migrant, course=finished)
    typed = certificate_code_display(certificate.code).lower().replace("-", " ")

    html = client.get(reverse("courses:certificate_verify"), {"code": typed}).content.decode()

    assert "This certificate is genuine" in html
    assert "Issued to <bdi>Amina</bdi> for <bdi>German A1</bdi> on" in html


def test_an_unknown_code_is_said_to_be_unknown(client):
    html = client.get(reverse("courses:certificate_verify"), {"code": "ABCD-EFGH-JKLM"}).content.decode()

    assert "No certificate has this code" in html
    assert "genuine" not in html


def test_the_verification_form_without_a_code_checks_nothing(client):
    html = client.get(reverse("courses:certificate_verify")).content.decode()

    assert "No certificate has this code" not in html
    assert 'name="code"' in html


def test_code_lookups_are_limited_per_connection(client):
    url = reverse("courses:certificate_verify")
    statuses = [client.get(url, {"code": f"ABCD-EFGH-JK{c}{c}"}).status_code for c in CODE_ALPHABET[:25]]

    assert statuses[0] == 200
    assert statuses[-1] == 429


def test_the_fixed_certificate_paths_are_not_taken_for_course_slugs():
    from django.urls import resolve

    assert resolve("/courses/verify/").view_name == "courses:certificate_verify"
    assert resolve("/courses/certificates/K7M2QX9P4HTD/").view_name == "courses:certificate"
