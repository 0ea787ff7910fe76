"""The batch record rendered by a real browser (Debian's headless Chromium, driven by Playwright): no console
error, nothing fetched beyond the file itself, every figure laid out, and a PNG that is not blank."""

from __future__ import annotations

from pathlib import Path

from PIL import Image
from playwright.sync_api import ConsoleMessage, Request

from tests.browser import chromium
from tests.report.conftest import Reported

REACTOR_TR_RGB = (0xB2, 0x18, 0x2B)


def test_chromium_renders_the_record_to_a_png_without_errors(scale_up: Reported, tmp_path: Path) -> None:
    png = tmp_path / "batch-record.png"
    problems: list[str] = []
    requests: list[str] = []
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900})

        def on_console(message: ConsoleMessage) -> None:
            if message.type in ("error", "warning"):
                problems.append(f"console {message.type}: {message.text}")

        def on_request(request: Request) -> None:
            requests.append(request.url)

        page.on("console", on_console)
        page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
        page.on("request", on_request)
        page.goto(scale_up.html_path.as_uri(), wait_until="load")
        figures = page.eval_on_selector_all(
            "figure svg",
            "svgs => svgs.map(s => [s.getBoundingClientRect().width, s.getBoundingClientRect().height])",
        )
        rows = page.eval_on_selector_all("#portions tr[data-portion]", "rows => rows.length")
        page.screenshot(path=png, full_page=True)
    assert problems == []
    assert requests == [scale_up.html_path.as_uri()]
    assert len(figures) == 3
    assert all(width > 600 and height > 150 for width, height in figures), figures
    assert rows == 10
    with Image.open(png) as image:
        width, height = image.size
        assert width == 1280
        assert height > 3000  # the whole record, not one screen
        colours = image.convert("RGB").getcolors(maxcolors=1 << 20)
    assert colours is not None
    assert len(colours) > 50  # text, tables and curves, not a blank page
    assert {colour: count for count, colour in colours}.get(REACTOR_TR_RGB, 0) > 500  # the Tr curve
    white = max(count for count, colour in colours if colour == (255, 255, 255))
    assert white < 0.97 * width * height
