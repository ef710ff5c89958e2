"""The report page in a real browser (Debian's Chromium, driven by Playwright): at desktop width
and printed on A4 it loads with no console error and asks for nothing beyond itself."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Request, sync_playwright

from tests.support import run

CHROMIUM = Path("/usr/bin/chromium")  # `make chromium` installs it
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
FEED = "inn,region,product,phone\n7707083893,77,diadoc,+79161234567\n7736050003,77,diadoc,+79162345678\n"


@pytest.fixture
def report_page(monkeypatch, capsys, warehouse, tmp_path) -> Path:
    """A small warehouse through the real commands: a feed in, one lead taken, the SLA sweep."""
    feed = tmp_path / "calls.csv"
    feed.write_text(FEED, encoding="utf-8")
    base = ["--warehouse", str(warehouse)]
    steps = [
        ["ingest", str(feed), "--source", "call_base", "--as-of", "2026-03-02T10:00:00+03:00"],
        ["lead", "take", "1", "--contact", "call", "--as-of", "2026-03-03T11:00:00+03:00"],
        ["sweep", "sla", "--as-of", "2026-03-12T12:00:00+03:00"],
    ]
    for step in steps:
        code, out, err = run(monkeypatch, capsys, *base, *step)
        assert code == 0, out + err
    page = tmp_path / "report.html"
    code, out, err = run(
        monkeypatch, capsys, *base, "report", "--period", "2026-W10", "--out", str(page),
        "--as-of", "2026-03-12T12:00:00+03:00",
    )  # fmt: skip
    assert code == 0, out + err
    return page


@pytest.mark.slow
def test_the_report_page_loads_offline_in_chromium_on_screen_and_on_a4(report_page, tmp_path):
    assert CHROMIUM.exists(), "no /usr/bin/chromium: run `make chromium` (apt-get, as root)"
    url = report_page.resolve().as_uri()
    errors: list[str] = []
    outside: list[str] = []

    def only_the_page(route, request: Request) -> None:
        if request.url == url or request.url.startswith("data:"):
            route.continue_()
        else:
            outside.append(request.url)
            route.abort()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            for media, width in (("screen", 1400), ("print", 794)):  # A4: 210 mm at 96 dpi
                page = browser.new_page(viewport={"width": width, "height": 1000})
                page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
                page.on("pageerror", lambda e: errors.append(str(e)))
                page.route("**/*", only_the_page)
                page.emulate_media(media=media)
                page.goto(url, wait_until="load")
                assert page.locator("svg.chart").count() == 7
                assert page.locator(".tile").count() == 9
                assert page.locator("tfoot td").first.inner_text() == "Total"
                page.screenshot(path=str(tmp_path / f"report-{media}.png"), full_page=True)
                if media == "print":
                    page.pdf(path=str(tmp_path / "report.pdf"), format="A4")
                page.close()
        finally:
            browser.close()
    assert errors == []
    assert outside == []
    assert (tmp_path / "report-screen.png").stat().st_size > 0
    assert (tmp_path / "report-print.png").stat().st_size > 0
