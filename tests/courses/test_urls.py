"""Fixed paths under /courses/ and course slugs never collide."""

from django.urls import get_resolver

from courses.services.authoring import RESERVED_SLUGS


def fixed_first_segments() -> set[str]:
    segments = set()
    for pattern in get_resolver().url_patterns:
        if str(pattern.pattern):  # included under a prefix of its own (api/, admin/, ...)
            continue
        for inner in getattr(pattern, "url_patterns", [pattern]):
            route = str(inner.pattern)
            if route.startswith("courses/"):
                first = route.removeprefix("courses/").split("/", 1)[0]
                if first and "<" not in first and not first.endswith((".csv", ".json")):
                    segments.add(first)
    return segments


def test_every_fixed_path_under_courses_is_a_reserved_slug():
    segments = fixed_first_segments()
    assert {"author", "verify", "certificates", "reports", "h5p"} <= segments
    assert segments <= RESERVED_SLUGS
