"""Headless Chromium from Debian's `chromium` package, driven by Playwright against
pytest-django's live server. Playwright never downloads a browser here: it is pointed at
/usr/bin/chromium (CHROMIUM_PATH overrides). Screenshots go to test-artifacts/screenshots/;
the journeys' steps to docs/screenshots/journeys/<journey>/.
"""

import os
import re
import shutil
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.db import connections
from PIL import Image

from tests.conftest import IN_CI
from tests.otp import authenticator, code_now

# Playwright's sync API runs an event loop in this thread; the ORM calls made by the test
# itself (set-up and checks) are still plain synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
# The main screens are also kept in the repository for the README.
README_SCREENSHOTS = ROOT / "docs" / "screenshots"
JOURNEY_SCREENSHOTS = README_SCREENSHOTS / "journeys"
VIEWPORTS = {
    "desktop": {"width": 1280, "height": 900},
    "phone": {"width": 390, "height": 844},
}


# --- what the filing journeys share (modules opt in: pytest.mark.usefixtures) -----------------


@pytest.fixture(scope="module")
def classifier_imported():
    """Filing classifies the complaint inside the request (Celery runs eagerly). The process's
    first import of scikit-learn and skops takes many seconds on a busy machine, which would
    eat the browser's navigation timeout: pay it once before the journey starts."""
    import complaints.services.classification  # noqa: F401


@pytest.fixture
def evidence_media(settings, tmp_path):
    """Evidence files stored under the test's own folder."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def screenshot_png(folder: Path) -> Path:
    """A small PNG for a journey to attach as evidence, as a consumer's screenshot."""
    path = folder / "permission-prompt.png"
    Image.new("RGB", (60, 120), "orange").save(path, "PNG")
    return path


# Per test, not per session: Playwright's sync API keeps an event loop running while it is
# open, and Django then gives the test a fresh connection for its set-up, one that never saw
# the serialized seed data (groups, taxonomy) that transactional tests restore between tests.
@pytest.fixture
def chromium(transactional_db):
    if not Path(CHROMIUM).exists():
        message = f"Chromium not found at {CHROMIUM}: `make test-setup` installs Debian's chromium package."
        if IN_CI:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
        # The test's own ORM calls ran while Playwright's loop was running, on a connection of
        # that context; close it here, or it outlives the test and holds the test database.
        connections.close_all()


class Screen:
    """A browser tab that records console errors and failed requests, and takes screenshots."""

    def __init__(self, page, base_url: str, journey: str = ""):
        self.page = page
        self.base_url = base_url
        self.journey = journey
        self.steps = 0
        self.errors: list[str] = []
        # Chromium reports each thing the Content-Security-Policy blocked (an inline script or
        # style, a handler attribute, another site's file) as an event on the document.
        self.csp_violations: list[str] = []
        page.add_init_script(
            "document.addEventListener('securitypolicyviolation', (e) => console.error("
            "'CSP violation: ' + e.violatedDirective + ' ' + (e.blockedURI || 'inline')"
            " + ' at ' + e.sourceFile + ':' + e.lineNumber));"
        )
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on(
            "response",
            lambda response: (
                response.status >= 400 and self.errors.append(f"{response.status} {response.url}")
            ),
        )

    def _console(self, message) -> None:
        if message.type != "error":
            return
        self.errors.append(message.text)
        if message.text.startswith("CSP violation") or "Content Security Policy" in message.text:
            self.csp_violations.append(message.text)

    def go(self, path: str):
        self.page.goto(self.base_url + path)
        return self.page

    def login(self, username: str, password: str) -> None:
        """Log in as a person would: the password, then for regulators and admins the code
        their authenticator app shows (computed from the device's key, tests/otp.py)."""
        self.go("/accounts/login/")
        self.page.fill("main input[name=username]", username)
        self.page.fill("main input[name=password]", password)
        self.page.click("main button[type=submit]")
        self.page.wait_for_load_state()
        path, _, query = self.page.url.partition("?")
        if "/accounts/two-factor/" in path:
            # A staff member who has not set up an app (made by a test) has one already, as
            # if set up on an earlier visit; the set-up page has a journey of its own.
            device = authenticator(User.objects.get(username=username))
            if not path.endswith("/accounts/two-factor/"):
                self.go("/accounts/two-factor/" + (f"?{query}" if query else ""))
            self.page.fill("main input[name=code]", code_now(device))
            with self.page.expect_navigation():
                self.page.click("main button.primary")

    def shot(self, name: str, *, readme: bool = False) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        if readme:
            README_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, README_SCREENSHOTS / f"{name}.png")
        return path

    def step(self, name: str) -> Path:
        """A numbered screenshot of one step of a journey, kept in docs/screenshots/journeys/."""
        self.steps += 1
        folder = JOURNEY_SCREENSHOTS / self.journey
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{self.steps:02d}-{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def submit(self, button_name: str, *, within=None) -> None:
        """Click a form's submit button and wait for the page it leads to."""
        scope = within if within is not None else self.page
        with self.page.expect_navigation():
            scope.get_by_role("button", name=button_name).click()


@pytest.fixture
def screen(chromium, live_server):
    # Reduced motion: charts draw without animation, so screenshots show them finished.
    context = chromium.new_context(
        viewport={"width": 1280, "height": 900}, locale="en-US", reduced_motion="reduce"
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield Screen(page, live_server.url)
    context.close()


@pytest.fixture
def open_screen(chromium, live_server, request):
    """Opens a browser of its own for each person in a journey:
    `open_screen("rita", viewport="phone")`. Each has its own cookies, like separate devices."""
    contexts = []
    test_name = re.sub(r"[^A-Za-z0-9_-]+", "-", request.node.name.removeprefix("test_")).strip("-")

    def open_(person: str, *, viewport: str = "desktop", locale: str = "en-US") -> Screen:
        phone = viewport == "phone"
        context = chromium.new_context(
            viewport=VIEWPORTS[viewport],
            locale=locale,
            reduced_motion="reduce",
            is_mobile=phone,
            has_touch=phone,
        )
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        return Screen(page, live_server.url, journey=f"{test_name}/{person}")

    yield open_
    for context in contexts:
        context.close()
