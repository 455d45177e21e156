"""Lesson text: Markdown written by authors, shown to learners as sanitised HTML.

Two layers. Markdown is converted with raw HTML turned off (an author's `<script>` shows as
text); then nh3 keeps only an allowlist of tags and attributes, so whatever the first layer
missed cannot run script, carry event handlers or `javascript:`/`data:` URLs.

Images come only from the lesson's own `LessonImage` rows, written `![description](image:<id>)`.
Any other image (an external URL) is dropped: on a paid data plan every image costs the learner
money, and a third-party image is a tracker. In data-saver mode an image becomes a button that
says how much it weighs; `frontend/js` loads it from `data-src` when tapped.
"""

import xml.etree.ElementTree as ET

import markdown as md  # type: ignore[import-untyped]  # no stubs shipped
import nh3
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from courses.models import LessonImage
from courses.uploads import size_label

IMAGE_SCHEME = "image:"
HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
TAGS = {
    "p", "br", "hr", "strong", "em", "b", "i", "code", "pre", "blockquote",
    "ul", "ol", "li", "h2", "h3", "h4", "h5", "h6", "a", "img", "button", "span",
    "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "loading", "width", "height"},
    "button": {"type", "class", "data-src", "data-alt"},
    "ol": {"start"},
    # Column alignment from the Markdown table syntax (`|:---|`), as a style Markdown writes.
    "th": {"style"},
    "td": {"style"},
}
URL_SCHEMES = {"http", "https", "mailto"}
ALIGNMENTS = {f"text-align: {side};" for side in ("left", "right", "center")}


class _Images(md.treeprocessors.Treeprocessor):  # type: ignore[misc]
    """Resolves `image:<id>` to the lesson's image, removes every other image, and moves
    headings one level down."""

    def __init__(self, renderer: md.Markdown, images: dict[int, LessonImage], data_saver: bool) -> None:
        super().__init__(renderer)
        self.images = images
        self.data_saver = data_saver
        self.sources: set[str] = set()

    def run(self, root: ET.Element) -> None:
        for element in root.iter():
            if element.tag == "img":
                self._replace(element)
            elif element.tag in HEADINGS:
                # The page's title is its only h1: an author's "# Heading" becomes an h2.
                element.tag = f"h{min(6, int(element.tag[1]) + 1)}"

    def _replace(self, element: ET.Element) -> None:
        src = element.get("src", "")
        alt = element.get("alt", "")
        image = None
        if src.startswith(IMAGE_SCHEME) and src[len(IMAGE_SCHEME) :].isdigit():
            image = self.images.get(int(src[len(IMAGE_SCHEME) :]))
        element.attrib.clear()
        if image is None or not image.image:
            # Kept as an empty span so that the text after it (its "tail") stays in place.
            element.tag = "span"
            return
        url = image.image.url
        alt = alt or image.alt
        self.sources.add(url)
        if self.data_saver:
            element.tag = "button"
            element.set("type", "button")
            element.set("class", "image-placeholder")
            element.set("data-src", url)
            element.set("data-alt", alt)
            element.text = _("Show image (%(size)s)") % {"size": size_label(image.size_bytes)}
        else:
            element.set("src", url)
            element.set("alt", alt)
            element.set("loading", "lazy")
            # LessonImage has no width/height yet; with them the page would not jump on load.
            for name in ("width", "height"):
                value = getattr(image, name, None)
                if value:
                    element.set(name, str(value))


class _ImagesExtension(md.extensions.Extension):  # type: ignore[misc]
    def __init__(self, processor_args: tuple[dict[int, LessonImage], bool]) -> None:
        super().__init__()
        self.processor_args = processor_args
        self.processor: _Images | None = None

    def extendMarkdown(self, renderer: md.Markdown) -> None:
        self.processor = _Images(renderer, *self.processor_args)
        renderer.treeprocessors.register(self.processor, "passage_images", 0)


def markdown_render(
    text: str, *, images: dict[int, LessonImage] | None = None, data_saver: bool = False
) -> SafeString:
    """Markdown → sanitised HTML, with the lesson's own images (`images` by id)."""
    extension = _ImagesExtension((images or {}, data_saver))
    renderer = md.Markdown(extensions=[extension, "sane_lists", "tables"], output_format="html")
    # No raw HTML from authors: it becomes visible text instead of markup.
    renderer.preprocessors.deregister("html_block")
    renderer.inlinePatterns.deregister("html")
    html = renderer.convert(text)
    allowed_sources = extension.processor.sources if extension.processor else set()

    def keep(tag: str, attribute: str, value: str) -> str | None:
        # Only the images this renderer placed; anything else that looks like one is dropped.
        if attribute in {"src", "data-src"} and value not in allowed_sources:
            return None
        if attribute == "style" and value not in ALIGNMENTS:
            return None
        return value

    clean = nh3.clean(
        html,
        tags=TAGS,
        clean_content_tags={"script", "style"},
        attributes=ATTRIBUTES,
        attribute_filter=keep,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )
    return mark_safe(clean)  # noqa: S308 (sanitised by nh3 just above)
