"""The HTML report in a real headless Chromium: it renders, logs no console error, needs no
network, and the test keeps a screenshot."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from seskeys import report
from seskeys.formats.report_html import to_html

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def _need_browser() -> str:
    if CHROMIUM:
        return CHROMIUM
    if os.environ.get("CI"):
        pytest.fail("chromium is required in CI (.ci/run installs Debian's chromium)")
    pytest.skip("chromium is not installed")


def test_report_renders_in_chromium_without_errors(demo_report: report.Report,
                                                   tmp_path: Path) -> None:
    browser_path = _need_browser()
    sync_api = pytest.importorskip("playwright.sync_api")
    page_file = tmp_path / "report.html"
    page_file.write_text(to_html(demo_report), encoding="utf-8")
    problems: list[str] = []
    requests: list[str] = []
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=browser_path, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.on("request", lambda r: requests.append(r.url))
            page.goto(page_file.as_uri())
            page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
            text = page.inner_text("body")
            charts = page.locator("svg.chart").count()
            page.emulate_media(media="print")
            printable = page.pdf() if hasattr(page, "pdf") else b""
        finally:
            browser.close()
    assert problems == []
    assert [u for u in requests if not u.startswith("file:")] == []  # self-contained
    assert (tmp_path / "report.png").stat().st_size > 10_000
    assert charts >= 4
    for needle in ("acme-newsletter", "umbrella-portal", "SEC-42", "ISO/IEC 27001:2022",
                   "SOC 2", "CIS Controls v8", "CISA", "CIS AWS Foundations", "NIST"):
        assert needle in text
    assert printable[:4] == b"%PDF"
    artifacts = os.environ.get("SESKEYS_TEST_ARTIFACTS")
    if artifacts:
        Path(artifacts).mkdir(parents=True, exist_ok=True)
        shutil.copy(tmp_path / "report.png", Path(artifacts) / "report.png")
