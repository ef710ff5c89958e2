"""The picture of the report in the docs: the top of a report page as Chromium shows it at
desktop width (`make report-screenshot` runs it on a fresh demo's report).

    python -m demo.screenshot REPORT.html OUT.png
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

CHROMIUM = Path("/usr/bin/chromium")  # `make chromium` installs it
WIDTH, HEIGHT = 1400, 1100  # desktop width; the headline, the trend and the heat map
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]


def screenshot(page_file: Path, out: Path) -> int:
    """Write the top WIDTH x HEIGHT pixels of the page to `out`; its size in bytes."""
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT}, device_scale_factor=1)
            page.goto(page_file.resolve().as_uri(), wait_until="load")
            page.screenshot(path=str(out), clip={"x": 0, "y": 0, "width": WIDTH, "height": HEIGHT})
        finally:
            browser.close()
    return out.stat().st_size


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: python -m demo.screenshot REPORT.html OUT.png")
    size = screenshot(Path(sys.argv[1]), Path(sys.argv[2]))
    print(f"{sys.argv[2]}: {size // 1024} KB")  # noqa: T201
