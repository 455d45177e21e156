"""Fixtures shared by the whole suite, and the rules for tests that need real services.

Tests marked `postgres`, `redis`, `browser` or `turn` run only where that service is present. Where
PASSAGE_REQUIRE names a service (`.ci/run` sets it for every service it found reachable), a
missing service stops the run instead of skipping those tests silently.
"""

import os
import shutil
from collections import Counter
from collections.abc import Callable, Iterator

import pytest
from django.conf import settings
from django.test import Client

from accounts.models import Role, User
from accounts.sms import MemorySMSBackend
from tests.factories import make_user

CHROMIUM = os.environ.get("PASSAGE_CHROMIUM", "/usr/bin/chromium")
REQUIRED = {s.strip() for s in os.environ.get("PASSAGE_REQUIRE", "").split(",") if s.strip()}


def services_available() -> dict[str, bool]:
    return {
        "postgres": settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
        "redis": bool(settings.REDIS_URL),
        "browser": bool(shutil.which(CHROMIUM)),
        "turn": bool(shutil.which("turnserver")),
    }


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    available = services_available()
    missing_required = sorted(s for s in REQUIRED if not available.get(s, False))
    if missing_required:
        raise pytest.UsageError(
            f"PASSAGE_REQUIRE asks for {', '.join(missing_required)}, which this run does not have"
        )
    for item in items:
        for service, present in available.items():
            if service in item.keywords and not present:
                item.add_marker(pytest.mark.skip(reason=f"{service} is not available in this run"))


SERVICES = ("postgres", "redis", "browser", "turn")
_passed_with: Counter[str] = Counter()


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "call" and report.passed:
        for service in SERVICES:
            if service in report.keywords:
                _passed_with[service] += 1


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    # A required service whose tests were all deselected or skipped is a failed run.
    not_run = sorted(s for s in REQUIRED if _passed_with[s] == 0)
    if not_run and exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        print(f"\nPASSAGE_REQUIRE: no test ran and passed against {', '.join(not_run)}")


@pytest.fixture(autouse=True)
def _clean_outboxes(settings: object) -> None:
    MemorySMSBackend.outbox.clear()


@pytest.fixture(autouse=True)
def _clear_cache() -> None:
    # Rate limits live in the cache; each test starts with none.
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _fresh_channel_layer() -> None:
    # Each async test runs in its own event loop; a channel layer kept from an earlier test holds
    # Redis connections and locks bound to that loop ("bound to a different event loop").
    from channels.layers import channel_layers

    channel_layers.backends.clear()


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    # A request by a signed-in person activates their language in the thread and nothing resets
    # it between test requests; each test starts, and ends, in the default language.
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def migrant(db: None) -> User:
    return make_user(Role.MIGRANT, display_name="Amina")


@pytest.fixture
def counsellor(db: None) -> User:
    return make_user(Role.COUNSELLOR, display_name="Chinedu")


@pytest.fixture
def coordinator(db: None) -> User:
    return make_user(Role.COORDINATOR, display_name="Sofia")


@pytest.fixture
def author(db: None) -> User:
    return make_user(Role.AUTHOR, display_name="Jonas")


@pytest.fixture
def admin_user(db: None) -> User:
    return make_user(Role.ADMIN, display_name="Admin")


@pytest.fixture
def client_for(db: None) -> Callable[[User | None], Client]:
    def make(user: User | None) -> Client:
        client = Client()
        if user is not None:
            client.force_login(user)
        return client

    return make
