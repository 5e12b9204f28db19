"""The playground page in a real Chromium (Debian's, driven by Playwright): a visitor posts a request as a
practice manager by clicking, offers as the assistant, accepts, sees the wijk group's post edited, and moves the
clock to see a reminder arrive. Screenshots of the steps go to docs/ with WIJKHULP_SCREENSHOTS=1."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web

from app.playground.session import Playground
from app.playground.web import build_web
from tests.conftest import POSTGRES_URL

CHROMIUM = os.environ.get("WIJKHULP_CHROMIUM", "/usr/bin/chromium")
DOCS = Path(__file__).resolve().parents[2] / "docs"
# CI sets WIJKHULP_TEST_BROWSER=1 (and installs Chromium): there a missing browser fails instead of skipping.
REQUIRED = os.environ.get("WIJKHULP_TEST_BROWSER") == "1"

if POSTGRES_URL:  # the playground always runs on its own SQLite file: once, in the SQLite pass, is enough
    pytest.skip("the playground does not use the test database", allow_module_level=True)
if not shutil.which(CHROMIUM) and not REQUIRED:
    pytest.skip(f"no Chromium at {CHROMIUM} (CI installs it)", allow_module_level=True)

from playwright.async_api import Browser, Locator, Page, async_playwright, expect  # noqa: E402


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[str]:
    """The playground's page and API on a free loopback port."""
    playground = Playground(tmp_path / "playground.sqlite3")
    await playground.start()
    runner = web.AppRunner(build_web(playground), access_log=None)
    await runner.setup()
    tcp = web.TCPSite(runner, "127.0.0.1", 0)
    await tcp.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        await runner.cleanup()
        await playground.stop()


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    """Headless system Chromium, with no network beyond loopback needed."""
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-background-networking"],
        )
        try:
            yield launched
        finally:
            await launched.close()


def phone(page: Page, persona: str) -> Locator:
    return page.get_by_test_id(f"phone-{persona}")


def message(where: Locator, text: str) -> Locator:
    """The newest bubble in a phone containing `text`."""
    return where.get_by_test_id("message").filter(has_text=text).last


async def press(where: Locator, in_message: str, label: str) -> None:
    bubble = message(where, in_message)
    await bubble.get_by_test_id("inline-button").filter(has_text=re.compile("^" + re.escape(label) + "$")).click()


async def shot(page: Page, name: str, target: Path) -> None:
    await page.screenshot(path=str(target / f"playground-{name}.png"))


async def test_a_visitor_posts_offers_accepts_and_sees_a_reminder(site: str, browser: Browser, tmp_path: Path) -> None:
    target = DOCS if os.environ.get("WIJKHULP_SCREENSHOTS") == "1" else tmp_path
    page = await browser.new_page(viewport={"width": 1600, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    await page.goto(site)
    anna, dewi, group, bram = (phone(page, name) for name in ("anna", "dewi", "wijk-centrum", "bram"))
    await expect(message(bram, "Hulpvraag #1")).to_be_visible(timeout=15_000)
    await shot(page, "1-start", target)

    # Anna posts a request by typing the command and clicking the form's buttons.
    await anna.get_by_test_id("chat-input").fill("/verzoek")
    await anna.get_by_test_id("chat-send").click()
    await press(anna, "Wat heb je nodig?", "doktersassistent")
    days = message(anna, "Welke dagen?")
    await days.get_by_test_id("inline-button").filter(has_text=re.compile("^Morgen")).click()
    await press(anna, "Welke dagen?", "Verder ›")
    await press(anna, "(3/5)", "Ochtend")
    await press(anna, "Hoe dringend?", "Normaal")
    await press(anna, "Een notitie?", "Geen notitie")
    await press(anna, "Controleer je hulpvraag", "✅ Versturen")
    await expect(message(anna, "Hulpvraag #2 is verstuurd")).to_be_visible()
    await shot(page, "2-request-posted", target)

    # Dewi, an assistant in the same wijk, offers; the press is answered with a toast.
    await press(dewi, "Hulpvraag #2", "Ik kan alles")
    await expect(dewi.get_by_test_id("toast")).to_contain_text("Dank je!")
    await shot(page, "3-offer", target)

    # Anna accepts; the group's post of the request is edited in place.
    await press(anna, "Aanbod voor hulpvraag #2", "Accepteren")
    await expect(message(dewi, "Je aanbod is geaccepteerd")).to_be_visible()
    await expect(message(anna, "Aanbod voor hulpvraag #2").get_by_test_id("inline-button")).to_have_count(0)
    await expect(message(anna, "Aanbod voor hulpvraag #2")).to_contain_text("Geaccepteerd")
    post = message(group, "Hulpvraag #2")
    await expect(post.get_by_test_id("inline-button")).to_have_count(0)
    await shot(page, "4-accepted", target)

    # The clock moves to the next meeting reminder, and it arrives.
    await page.get_by_test_id("clock-reminder").click()
    await expect(message(bram, "Herinnering")).to_be_visible(timeout=15_000)
    await shot(page, "5-reminder", target)
    assert not errors, errors
