"""Steps that several browser journeys share: signing in, switching language, a TOTP code."""

import base64
import hashlib
import hmac
import struct
import time

from playwright.sync_api import Page

DEMO_PASSWORD = "demo-pass-123"  # published demo credential (seed_demo)
DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
MIGRANT = "migrant@demo.test"
COUNSELLOR = "counsellor@demo.test"


def totp(secret: str, at: float | None = None) -> str:
    """RFC 6238: HMAC-SHA1 over the 30 s time step, dynamically truncated to 6 digits."""
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    step = int((time.time() if at is None else at) // 30)
    digest = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{number % 1_000_000:06d}"


_used_steps: set[int] = set()


def fresh_totp(secret: str) -> str:
    """A code with at least 5 s left in its window, so that it is still valid when it arrives,
    and never one used before in this run: allauth refuses a code twice (replay protection), and
    two journeys signing the same counsellor in within 30 seconds would otherwise share one."""
    while True:
        if 30 - time.time() % 30 < 5:
            time.sleep(30 - time.time() % 30 + 0.1)
        step = int(time.time() // 30)
        if step not in _used_steps:
            _used_steps.add(step)
            return totp(secret)
        time.sleep(30 - time.time() % 30 + 0.1)


def submit(page: Page) -> None:
    """Press the main form's submit button and wait for the next page."""
    with page.expect_navigation():
        page.locator("main form button[type=submit]").first.click()


def sign_in(page: Page, login: str, password: str = DEMO_PASSWORD) -> None:
    page.goto("/accounts/login/")
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", password)
    submit(page)


def switch_language(page: Page, code: str) -> None:
    """Use the language menu in the top bar (it submits itself when JavaScript runs)."""
    with page.expect_navigation():
        page.select_option("select[name=language]", code)
    page.wait_for_load_state()


def path_of(page: Page) -> str:
    return page.evaluate("location.pathname")
