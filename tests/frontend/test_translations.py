"""The interface in every language: complete, well-formed catalogues, and pages that really are
translated (including the allauth and Django strings that Pashto has to bring along itself)."""

import html
import io
import re
from collections import Counter
from pathlib import Path

import pytest
from asgiref.local import Local
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.utils.translation import trans_real

LOCALE = Path(settings.LOCALE_PATHS[0])
LANGUAGES = ["de", "el", "ar", "fa", "ps", "fr", "es"]
RIGHT_TO_LEFT = {"ar", "fa", "ps"}
PLURAL_FORMS = {
    "ar": (
        "nplurals=6; plural=n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : n%100>=3 && n%100<=10 ? 3 : n%100>=11 ? 4 : 5;"
    ),
    "fr": "nplurals=2; plural=(n > 1);",
    "fa": "nplurals=2; plural=(n > 1);",
    "de": "nplurals=2; plural=(n != 1);",
    "el": "nplurals=2; plural=(n != 1);",
    "es": "nplurals=2; plural=(n != 1);",
    "ps": "nplurals=2; plural=(n != 1);",
}
# Every catalogue: each language's django.po, and the vendor.po files that carry allauth's and
# Django's strings where their own catalogues lack them (all of them, for Pashto).
CATALOGUES = sorted(LOCALE.glob("*/LC_MESSAGES/*.po"))
VENDOR_CATALOGUES = sorted(LOCALE.glob("*/LC_MESSAGES/vendor.po"))
HOME_HEADING = "Support on your migration journey, on your phone"
PUBLIC_PAGES = ["/", "/accounts/login/", "/accounts/signup/", "/help/"]

NAMED = re.compile(r"%\((\w+)\)[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]")
POSITIONAL = re.compile(r"%(?!\()[-#0 +]*\d*(?:\.\d+)?([diouxXeEfFgGcrsa])")
BRACES = re.compile(r"\{(\w+)\}")
TAG = re.compile(r"</?([a-zA-Z][a-zA-Z0-9]*)\b")


@pytest.fixture(scope="module", autouse=True)
def _compiled_catalogues() -> None:
    call_command("compile_translations", stdout=io.StringIO())
    # Forget catalogues loaded before the .mo files were (re)built.
    trans_real._translations = {}
    trans_real._default = None
    trans_real._active = Local()
    trans_real.translation_catalog_exists.cache_clear()


def load(path: Path) -> Catalog:
    with path.open("rb") as po_file:
        return read_po(po_file, locale=path.parent.parent.name)


def catalogue(language: str) -> Catalog:
    return load(LOCALE / language / "LC_MESSAGES" / "django.po")


def entries(catalog: Catalog) -> list[Message]:
    return [message for message in catalog if message.id]


def translation_of(language: str, msgid: str, domain_file: str = "django.po") -> str:
    message = load(LOCALE / language / "LC_MESSAGES" / domain_file).get(msgid)
    assert message is not None and message.string, f"{msgid!r} is not translated into {language}"
    return message.string


def page(path: str, language: str) -> str:
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get(path)
    assert response.status_code == 200
    return response.content.decode()


def html_tag(content: str) -> str:
    match = re.search(r"<html\b[^>]*>", content)
    assert match, "no <html> element"
    return match.group(0)


def visible_text(content: str) -> str:
    content = re.sub(r"<(script|style)\b.*?</\1>", " ", content, flags=re.S)
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", content)))


def placeholders(text: str) -> tuple[set[str], Counter[str], set[str]]:
    text = text.replace("%%", "")
    return set(NAMED.findall(text)), Counter(POSITIONAL.findall(text)), set(BRACES.findall(text))


def test_there_is_a_catalogue_for_every_language_of_the_site() -> None:
    site_languages = {code for code, _name in settings.LANGUAGES} - {settings.LANGUAGE_CODE}

    assert site_languages == set(LANGUAGES)
    for language in LANGUAGES:
        assert (LOCALE / language / "LC_MESSAGES" / "django.po").is_file()


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_every_catalogue_is_complete_with_nothing_left_fuzzy(path: Path) -> None:
    language = path.parent.parent.name
    catalog = load(path)
    headers = dict(catalog.mime_headers)

    assert not catalog.fuzzy, "the header is still marked fuzzy"
    assert headers["Language"] == language
    assert headers["Plural-Forms"] == PLURAL_FORMS[language]
    assert "charset=utf-8" in headers["Content-Type"].lower()
    assert entries(catalog)
    fuzzy = [m.id for m in entries(catalog) if m.fuzzy]
    untranslated = [
        m.id for m in entries(catalog) if not (all(m.string) if isinstance(m.string, tuple) else m.string)
    ]
    wrong_form_count = [
        m.id for m in entries(catalog) if isinstance(m.id, tuple) and len(m.string) != catalog.num_plurals
    ]
    assert fuzzy == []
    assert untranslated == []
    assert wrong_form_count == []
    assert [(m.id, errors) for m, errors in catalog.check()] == []


@pytest.mark.parametrize("path", CATALOGUES, ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_translations_keep_the_placeholders_and_html_tags_of_the_english(path: Path) -> None:
    problems = []
    for message in entries(load(path)):
        if isinstance(message.id, tuple):
            named, positional, braces = placeholders(message.id[1])
            forms = [placeholders(form) for form in message.string]
            # A form may leave out a named number ("one code left"), but never add one; a
            # positional one must stay in every form, or "%" formatting fails.
            form_ok = all(f[0] <= named and f[1] == positional and f[2] <= braces for f in forms)
            if not form_ok or set().union(*(f[0] for f in forms)) != named:
                problems.append(message.id)
            texts = [(message.id[1], form) for form in message.string]
        else:
            if placeholders(message.id) != placeholders(message.string):
                problems.append(message.id)
            texts = [(message.id, message.string)]
        problems += [message.id for source, text in texts if TAG.findall(source) != TAG.findall(text)]

    assert problems == []


@pytest.mark.parametrize("path", VENDOR_CATALOGUES, ids=lambda p: p.parent.parent.name)
def test_the_vendor_entries_are_merged_into_the_catalogue_django_loads(path: Path) -> None:
    # After `makemessages`, msgcat must put them back (see the comment at the top of vendor.po).
    # Where the project has the same msgid (every language has it), the project's text wins.
    project = set.intersection(*({(m.context, m.id) for m in entries(catalogue(lang))} for lang in LANGUAGES))
    merged = load(path.with_name("django.po"))
    wrong = []
    for message in entries(load(path)):
        found = merged.get(message.id, context=message.context)
        if found is None or (found.string != message.string and (message.context, message.id) not in project):
            wrong.append(message.id)

    assert wrong == []


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_the_home_page_is_in_the_chosen_language(language: str) -> None:
    content = page("/", language)

    assert f'lang="{language}"' in html_tag(content)
    assert " ".join(translation_of(language, HOME_HEADING).split()) in visible_text(content)
    assert HOME_HEADING not in visible_text(content)


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_right_to_left_languages_are_laid_out_right_to_left(language: str) -> None:
    expected = "rtl" if language in RIGHT_TO_LEFT else "ltr"

    for path in PUBLIC_PAGES:
        assert f'dir="{expected}"' in html_tag(page(path, language)), path


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_public_pages_keep_no_english_sentence_of_ours(language: str) -> None:
    sentences = [
        m.id
        for m in entries(catalogue(language))
        if isinstance(m.id, str) and len(m.id.split()) >= 3 and m.string != m.id
    ]

    for path in PUBLIC_PAGES:
        text = visible_text(page(path, language))
        assert [s for s in sentences if s in text] == [], path


@pytest.mark.django_db
def test_the_pashto_sign_in_page_shows_allauths_sign_in_heading_in_pashto() -> None:
    heading = translation_of("ps", "Sign In", "vendor.po")

    content = page("/accounts/login/", "ps")

    assert re.search(r"<h1[^>]*>\s*" + re.escape(heading) + r"\s*</h1>", content), "no Pashto <h1>"
    assert "Sign In" not in visible_text(content)
