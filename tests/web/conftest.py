"""A real uvicorn server on 127.0.0.1 (random port) with seeded demo data, and a headless
Chromium (Debian's /usr/bin/chromium via Playwright). Browser tests skip, saying why, only when
the browser or playwright is missing; CI installs both."""

from __future__ import annotations

import os
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.auth import hash_password
from api.db import upgrade_to_head
from api.deps import Services
from tests.api.conftest import make_settings
from tests.web import seed as demo

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
CHROMIUM = os.environ.get("QA_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-dev-shm-usage", "--autoplay-policy=no-user-gesture-required"]


@dataclass
class Site:
    url: str
    services: Services
    ids: dict[str, str]
    client: TestClient


@pytest.fixture(scope="session")
def site(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("web")
    settings = make_settings(f"sqlite:///{tmp / 'qa.db'}", tmp)
    services = Services.from_settings(settings)
    upgrade_to_head(services.engine)
    app = create_app(settings, services=services, embedded_worker=False)
    import uvicorn

    with TestClient(app) as client:
        ids = demo.seed(client, services, hash_password(demo.PASSWORD))
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                               lifespan="off"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.time() + 20
        while not server.started:
            assert time.time() < deadline, "uvicorn did not start"
            time.sleep(0.05)
        try:
            yield Site(f"http://127.0.0.1:{port}", services, ids, client)
        finally:
            server.should_exit = True
            thread.join(10)
    services.engine.dispose()


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} not found: install Debian's chromium (apt-get install chromium fonts-noto-cjk)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("playwright not installed: pip install -e '.[web]'")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


def login(browser, site: Site, username: str):
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{site.url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", demo.PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("load")
    return page


def shot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    return path
