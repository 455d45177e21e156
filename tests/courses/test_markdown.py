"""Lesson Markdown: hostile input never becomes markup that runs or loads anything; the lesson's
own images are shown, or held back in data-saver mode."""

from html.parser import HTMLParser

import pytest

from courses.markdown import markdown_render
from courses.models import LessonImage

IMAGE = LessonImage(pk=7, alt="A map of the city", size_bytes=34 * 1024, image="courses/images/map.png")


def render(text: str, **kwargs) -> str:
    return str(markdown_render(text, images={7: IMAGE}, **kwargs))


HOSTILE = {
    "script tag": "<script>alert(1)</script>",
    "script block": "<div>\n<script>alert(1)</script>\n</div>",
    "img onerror": '<img src="x" onerror="alert(1)">',
    "svg onload": "<svg onload=alert(1)>",
    "iframe": '<iframe src="https://evil.test"></iframe>',
    "javascript link": "[x](javascript:alert(1))",
    "javascript link, mixed case and spaces": "[x]( JaVaScRiPt:alert(1) )",
    "javascript reference link": "[x][1]\n\n[1]: javascript:alert(1)",
    "data link": "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "data image": "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "external image": "![tracker](https://evil.test/pixel.gif)",
    "protocol-relative image": "![tracker](//evil.test/pixel.gif)",
    "raw anchor": '<a href="javascript:alert(1)" onclick="alert(1)">x</a>',
    "style tag": "<style>body{display:none}</style>",
    "autolink": "<javascript:alert(1)>",
    "event handler in a title": '[x](https://example.org "a\\" onmouseover=\\"alert(1)")',
    "unknown image id": "![x](image:999)",
    "image id with a path": "![x](image:7/../../etc/passwd)",
}


class Elements(HTMLParser):
    """The elements and attributes a browser would build from the output (text is harmless)."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, {name: value or "" for name, value in attrs}))


@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_markdown_is_made_harmless(case):
    elements = Elements(render(HOSTILE[case])).elements

    tags = {tag for tag, _attrs in elements}
    assert not tags & {"script", "iframe", "svg", "style", "img", "object", "embed"}
    for _tag, attrs in elements:
        assert not [name for name in attrs if name.startswith("on")]
        for name in ("href", "src", "data-src"):
            value = attrs.get(name, "").strip().lower()
            assert not value.startswith(("javascript:", "data:", "//")), value
            assert "evil.test" not in value


def test_raw_html_is_shown_as_text():
    assert render("<b>bold</b>") == "<p>&lt;b&gt;bold&lt;/b&gt;</p>"


def test_markdown_formatting_is_kept():
    html = render("## Words\n\n**Hello** and *goodbye*\n\n- one\n- two")

    assert "<strong>Hello</strong>" in html
    assert "<em>goodbye</em>" in html
    assert "<li>one</li>" in html


def test_headings_move_one_level_down_so_the_page_keeps_one_h1():
    assert render("# Title") == "<h2>Title</h2>"


def test_links_get_rel_noopener_noreferrer_nofollow():
    html = render("[the office](https://example.org/office)")

    assert 'href="https://example.org/office"' in html
    assert 'rel="noopener noreferrer nofollow"' in html


def test_a_lesson_image_becomes_a_lazy_image_with_its_description():
    html = render("Look: ![](image:7) here")

    assert '<img alt="A map of the city" loading="lazy" src="/media/courses/images/map.png">' in html
    assert html.endswith(" here</p>")


def test_the_author_can_give_another_description():
    assert 'alt="The old town"' in render("![The old town](image:7)")


def test_in_data_saver_mode_an_image_is_a_button_that_says_its_size():
    html = render("![](image:7)", data_saver=True)

    assert "<img" not in html
    assert '<button class="image-placeholder"' in html
    assert 'data-src="/media/courses/images/map.png"' in html
    assert "Show image (34 KB)" in html


def test_external_images_are_dropped_but_the_text_around_them_stays():
    assert render("before ![x](https://evil.test/a.png) after") == "<p>before <span></span> after</p>"


def test_an_image_url_typed_by_hand_is_not_trusted():
    # The URL of a real lesson image, but not written as image:<id>.
    assert "<img" not in render("![x](/media/courses/images/map.png)")


def test_the_result_is_marked_safe_for_templates():
    assert hasattr(markdown_render("x"), "__html__")


def test_tables_are_kept_with_their_alignment_and_no_other_style():
    html = str(markdown_render("| a | b |\n|:--|--:|\n| 1 | **2** |\n"))
    assert '<th style="text-align: left;">a</th>' in html
    assert '<td style="text-align: right;"><strong>2</strong></td>' in html
    raw_html = str(markdown_render('| a |\n|---|\n| <span style="background:red">x</span> |'))
    assert "<span" not in raw_html  # shown as text, never as markup
    assert "&lt;span" in raw_html
