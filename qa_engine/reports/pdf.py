"""HTML -> PDF with headless Chromium (Playwright driving the system browser).

Chromium's print-to-PDF instead of a Python PDF library: the PDF is the same HTML/CSS/inline-SVG
the page shows, fonts are the system's (Noto Sans CJK from Debian's fonts-noto-cjk) and embedded
as real text, and it adds one dependency (playwright) the browser tests need anyway. Browser
downloads do not work offline, so the executable is the Debian package's (``QA_CHROMIUM``
overrides it); ``playwright install`` is never needed.
"""

from __future__ import annotations

import os
import shutil
import threading

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-dev-shm-usage"]
# One conversion at a time: each launches a browser (~150 MB); a queue of them on a 2-core box
# would starve the API. Reports are rare, so serialising costs little.
_LOCK = threading.Lock()


class PdfUnavailable(RuntimeError):
    """No Chromium or no playwright: the PDF cannot be produced on this machine."""


def chromium_path() -> str | None:
    for candidate in (os.environ.get("QA_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium"),
                      shutil.which("chromium-browser")):
        if candidate and os.path.exists(candidate):
            return candidate
    return None


def html_to_pdf(html: str, *, landscape: bool = False, timeout_ms: int = 30_000) -> bytes:
    """Render ``html`` (self-contained: inline CSS/SVG, no network) to A4 PDF bytes."""
    executable = chromium_path()
    if executable is None:
        raise PdfUnavailable("Chromium not found: install Debian's 'chromium' (and 'fonts-noto-cjk') "
                             "or set QA_CHROMIUM to its path")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:  # optional extra
        raise PdfUnavailable("playwright is not installed: pip install 'qa-engine[web]'") from exc
    with _LOCK, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.set_default_timeout(timeout_ms)
            # Block every request: the report must not depend on (or leak to) the network.
            page.route("**/*", lambda route: route.abort())
            page.set_content(html, wait_until="load")
            page.emulate_media(media="print")
            page.evaluate("document.fonts.ready")
            return page.pdf(format="A4", landscape=landscape, print_background=True,
                            margin={"top": "12mm", "bottom": "12mm", "left": "10mm", "right": "10mm"})
        finally:
            browser.close()
