"""The site in a real browser (Debian's chromium + chromedriver, through selenium), from disk.

Screenshots of the index and of one postmortem are written to `$PMOPS_SCREENSHOTS` or to a
temporary folder, whose path the test prints.
"""

from __future__ import annotations

import base64
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from pmops.model import Severity, Status
from pmops.site.build import build_site
from tests.corpus import Corpus
from tests.samples import sample_postmortem
from tests.site_repo import HOSTILE_ID, build_site_repo

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
selenium = pytest.importorskip("selenium", reason="selenium is a test dependency (pip install)")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (CHROMIUM and DRIVER),
        reason="needs Debian's chromium and chromium-driver (apt-get install chromium "
        "chromium-driver; .ci/run installs them)",
    ),
]

from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.remote.webdriver import WebDriver  # noqa: E402
from selenium.webdriver.support.ui import Select  # noqa: E402

CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",  # the test may run as root in a container
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1280,1100",
)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Corpus]:
    root = tmp_path_factory.mktemp("repo")
    corpus = build_site_repo(root, 60)
    out = tmp_path_factory.mktemp("site")
    build_site(root, out)
    return out, corpus


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    options = webdriver.ChromeOptions()
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    profile = tempfile.mkdtemp(prefix="pmops-chromium-")
    options.add_argument(f"--user-data-dir={profile}")
    options.binary_location = str(CHROMIUM)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(str(DRIVER)))
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = Path(os.environ.get("PMOPS_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    print(f"screenshots in {folder}")
    return folder


def _visible_rows(driver: WebDriver) -> list[str]:
    rows = driver.find_elements(By.CSS_SELECTOR, "#list tbody tr")
    return [row.find_element(By.TAG_NAME, "a").text for row in rows if row.is_displayed()]


def _errors(driver: WebDriver) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def test_search_and_filters_work_from_disk(
    site: tuple[Path, Corpus], browser: WebDriver, shots: Path
) -> None:
    out, corpus = site
    published = [d for d in corpus.docs if d.postmortem.status is Status.PUBLISHED]
    total = len(published) + 2
    browser.get((out / "index.html").as_uri())
    assert browser.find_element(By.ID, "count").text == f"{total} of {total} postmortems"
    assert len(_visible_rows(browser)) == total
    query = browser.find_element(By.ID, "q")
    query.send_keys("sonnet cascading")
    assert _visible_rows(browser) == ["Shakespeare Sonnet++ Postmortem"]
    query.clear()
    query.send_keys("zzzz-no-such-word")
    assert _visible_rows(browser) == [] and browser.find_element(By.ID, "empty").is_displayed()
    query.clear()
    query.send_keys(" ")  # input event after clear()
    Select(browser.find_element(By.ID, "severity")).select_by_visible_text("SEV-4")
    sev4 = sorted(d.postmortem.title for d in published if d.postmortem.severity is Severity.SEV4)
    assert sorted(_visible_rows(browser)) == sorted([*sev4, "<b>Hostile</b> postmortem"])
    Select(browser.find_element(By.ID, "severity")).select_by_visible_text("All")
    Select(browser.find_element(By.ID, "year")).select_by_visible_text("2015")
    assert _visible_rows(browser) == ["Shakespeare Sonnet++ Postmortem"]
    Select(browser.find_element(By.ID, "year")).select_by_visible_text("All")
    service = published[0].services[0]
    Select(browser.find_element(By.ID, "service")).select_by_visible_text(service)
    expected = {
        d.postmortem.title for d in published if service in d.postmortem.impact.affected_services
    }
    if service in sample_postmortem().impact.affected_services:
        expected.add("<b>Hostile</b> postmortem")
    assert set(_visible_rows(browser)) == expected
    Select(browser.find_element(By.ID, "service")).select_by_visible_text("All")
    assert _errors(browser) == []
    browser.save_screenshot(str(shots / "index.png"))
    assert (shots / "index.png").stat().st_size > 10_000


def test_postmortem_page_renders_and_runs_nothing_from_content(
    site: tuple[Path, Corpus], browser: WebDriver, shots: Path
) -> None:
    out, corpus = site
    browser.get((out / "index.html").as_uri())
    doc = next(d for d in corpus.docs if d.postmortem.status is Status.PUBLISHED)
    browser.find_element(By.LINK_TEXT, doc.postmortem.title).click()
    assert browser.find_element(By.TAG_NAME, "h1").text == doc.postmortem.title
    assert len(browser.find_elements(By.CSS_SELECTOR, "ol.timeline li")) >= 3
    assert browser.find_elements(By.CSS_SELECTOR, "table.actions .status")
    browser.save_screenshot(str(shots / "postmortem.png"))
    assert (shots / "postmortem.png").stat().st_size > 10_000
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        assert not browser.find_element(By.TAG_NAME, "nav").is_displayed()  # print stylesheet
        pdf = browser.execute_cdp_cmd("Page.printToPDF", {"printBackground": False})
        (shots / "postmortem.pdf").write_bytes(base64.b64decode(pdf["data"]))
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    hostile = next((out / "pm/2026").glob(f"*-{HOSTILE_ID}-*.html"))
    browser.get(hostile.as_uri())
    assert browser.title == "<b>Hostile</b> postmortem"  # no script of the content ran
    assert not browser.find_elements(By.TAG_NAME, "img")
    assert not browser.find_elements(By.CSS_SELECTOR, "a[href^='javascript']")
    assert _errors(browser) == []  # nothing was even attempted against the policy
