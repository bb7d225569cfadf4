"""The operator console in a real browser (Playwright driving the Debian chromium package) against `ventanilla up`.

Screenshots of every page are saved under test-artifacts/console/ (or $VENTANILLA_ARTIFACTS/console/).
"""

from __future__ import annotations

import os
import random
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import Browser, Page, Playwright, expect, sync_playwright

from tests.conftest import ROOT
from tests.e2e.conftest import Running, operator_headers
from tests.e2e.test_cases_api import eventually, post_touchpoint

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

ARTIFACTS = Path(os.environ.get("VENTANILLA_ARTIFACTS", ROOT / "test-artifacts")) / "console"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as started:
        yield started


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail("the browser tests drive the Debian chromium package: `make browser` installs it")
    launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
    yield launched
    launched.close()


@pytest.fixture()
def page(browser: Browser, ventanilla: Running) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="es-MX")
    opened = context.new_page()
    problems: list[str] = []
    opened.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    opened.on(
        "console",
        lambda message: (
            problems.append(message.text)
            if message.type == "error" and "Failed to load resource" not in message.text
            else None
        ),
    )
    yield opened
    context.close()
    assert problems == [], problems  # no script errors, no CSP violations


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def sign_in(page: Page, app: Running, user: str = "supervisora") -> None:
    page.goto(f"{app.url}/console/")
    expect(page.get_by_test_id("signin-form")).to_be_visible()
    shot(page, "00-sign-in")
    page.get_by_test_id("signin-username").fill(user)
    page.get_by_test_id("signin-password").fill(app.keys[f"signin_{user}"])
    page.get_by_test_id("signin-submit").click()
    expect(page.get_by_test_id("user-name")).to_have_text(user)


def search(page: Page, text: str) -> None:
    page.get_by_test_id("nav-search").click()
    page.get_by_test_id("search-input").fill(text)
    page.get_by_test_id("search-button").click()


def open_citizen(page: Page, phone: str) -> None:
    search(page, phone)
    page.get_by_test_id("open-citizen").first.click()
    expect(page.get_by_test_id("citizen-summary")).to_be_visible()


def api(app: Running, method: str, path: str, **kwargs: Any) -> requests.Response:
    return requests.request(method, f"{app.url}{path}", headers=operator_headers(app), timeout=30, **kwargs)


def test_a_phone_typed_in_another_format_finds_the_sample_citizen(page: Page, ventanilla: Running) -> None:
    sign_in(page, ventanilla)
    search(page, "+52 (55) 1234-5678")  # the sample has it as "55 1234 5678" and "044 55 1234 5678"
    result = page.get_by_test_id("search-result")
    expect(result.get_by_test_id("result-name")).to_contain_text("María José Hernández García")
    shot(page, "01-search")


def test_the_timeline_shows_touchpoints_from_at_least_four_channels(page: Page, ventanilla: Running) -> None:
    sign_in(page, ventanilla)
    open_citizen(page, "55 2468 1357")  # Carmen Rodríguez Flores: office, WhatsApp, phone, web, app
    entries = page.locator("[data-testid=timeline-entry][data-kind=touchpoint]")
    expect(entries.first).to_be_visible()
    channels = set(entries.evaluate_all("nodes => nodes.map(n => n.dataset.channel)"))
    assert len(channels) >= 4, channels
    expect(page.get_by_test_id("identifier").first).to_be_visible()
    expect(page.get_by_test_id("case").first).to_be_visible()
    shot(page, "02-citizen-360")


def test_a_merge_and_a_split_made_in_the_console_change_what_the_api_returns(page: Page, ventanilla: Running) -> None:
    run = uuid.uuid4().hex[:8]
    phones = [f"22{random.randint(10_000_000, 99_999_999)}" for _ in range(2)]
    for index, (phone, name) in enumerate(zip(phones, ("Abril", "Bruno"), strict=True)):
        post_touchpoint(
            ventanilla,
            "office",
            {
                "ticket_id": f"C{index}-{run}",
                "office_id": "PUE-CENTRO-01",
                "checked_in_at": "2026-03-09T10:00:00-06:00",
                "person": {"given_name": name, "family_name": f"Consola {run}", "phone": phone},
            },
        )

    def citizen_of(phone: str) -> str | None:
        answer = api(ventanilla, "GET", "/v1/context", params={"phone": phone}).json()
        return answer.get("citizen_id")

    survivor, absorbed = (eventually(lambda p=p: citizen_of(p), f"citizen of {p}") for p in phones)  # type: ignore[misc]
    sign_in(page, ventanilla)
    open_citizen(page, phones[0])
    page.get_by_test_id("merge-citizen-id").fill(absorbed)
    page.get_by_test_id("merge-reason").fill("Misma persona: lo confirmó por teléfono")
    page.get_by_test_id("merge-submit").click()
    merged = page.locator("[data-testid=merge-record][data-status=active]")
    expect(merged).to_have_count(1)
    shot(page, "03-merged")
    after_merge = api(ventanilla, "GET", f"/v1/citizens/{absorbed}").json()
    assert after_merge["citizen_id"] == survivor and absorbed in after_merge["merged_ids"]

    page.get_by_test_id("split-reason").first.fill("No eran la misma persona")
    page.get_by_test_id("split-submit").first.click()
    expect(page.locator("[data-testid=merge-record][data-status=active]")).to_have_count(0)
    shot(page, "04-split")
    after_split = api(ventanilla, "GET", f"/v1/citizens/{absorbed}").json()
    assert after_split["citizen_id"] == absorbed
    assert absorbed not in api(ventanilla, "GET", f"/v1/citizens/{survivor}").json()["merged_ids"]


def test_the_journey_health_dashboard_renders_its_charts_with_data(page: Page, ventanilla: Running) -> None:
    sign_in(page, ventanilla)
    page.get_by_test_id("nav-health").click()
    page.get_by_test_id("health-from").fill("2026-03-01")
    page.get_by_test_id("health-to").fill("2026-03-31")
    page.get_by_test_id("health-submit").click()
    volume = page.locator("[data-testid=chart][data-chart=volume]")
    expect(volume).to_have_attribute("data-empty", "false")
    expect(volume.locator("canvas").first).to_be_visible()
    rows = volume.get_by_test_id("chart-table").locator("tbody tr")
    assert rows.count() >= 5  # days of March with contacts
    expect(page.get_by_test_id("dlq-depth")).to_be_visible()
    assert page.locator("[data-testid=chart]").count() >= 4
    shot(page, "05-journey-health")


def test_the_review_queue_and_the_english_switch(page: Page, ventanilla: Running) -> None:
    sign_in(page, ventanilla)
    page.get_by_test_id("nav-reviews").click()
    expect(page.get_by_test_id("page-title")).to_be_visible()
    shot(page, "06-reviews")
    page.get_by_test_id("language-switch").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_test_id("nav-search").click()
    expect(page.get_by_test_id("search-button")).to_have_text("Search")
    shot(page, "07-search-english")


def test_every_field_is_labelled_and_an_auditor_is_offered_no_action(page: Page, ventanilla: Running) -> None:
    sign_in(page, ventanilla, "auditora")
    open_citizen(page, "55 1234 5678")
    unlabelled = page.evaluate(
        """() => [...document.querySelectorAll('input, select, textarea')]
            .filter(f => f.type !== 'hidden' && !(f.labels && f.labels.length) && !f.getAttribute('aria-label'))
            .map(f => f.outerHTML)"""
    )
    assert unlabelled == []
    expect(page.get_by_test_id("merge-submit")).to_have_count(0)
    expect(page.get_by_test_id("advance-submit")).to_have_count(0)
    shot(page, "08-auditor-read-only")
