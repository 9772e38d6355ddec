"""Server-side page behaviour without a browser: scope, redirects, the cookie bridge's CSRF rule."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.web import seed as demo


def _login(site, username: str) -> TestClient:
    client = TestClient(site.client.app)
    r = client.post("/login", data={"username": username, "password": demo.PASSWORD, "next": "/"},
                    follow_redirects=False)
    assert r.status_code == 303 and "qa_session" in r.cookies
    return client


def test_pages_need_login_and_next_stays_on_site(site):
    client = TestClient(site.client.app)
    r = client.get("/queue?show=all", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=%2Fqueue%3Fshow%3Dall"
    for evil in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        r = client.post("/login", data={"username": "qa1", "password": demo.PASSWORD, "next": evil},
                        follow_redirects=False)
        assert r.headers["location"] == "/queue", evil  # never off-site after login


def test_agent_scope_on_pages(site):
    client = _login(site, "agent4")  # agent a4, team t2
    own = client.get(f"/conversations/{site.ids['chat-202611-001']}")
    assert own.status_code == 200
    other = client.get(f"/conversations/{site.ids[demo.AUDIO_CALL_ID]}")  # a1's call
    assert other.status_code == 404 and "未找到" in other.text
    assert client.get(f"/conversations/{site.ids[demo.AUDIO_CALL_ID]}/audio").status_code == 404
    assert client.get("/reports/emotion").status_code == 403
    assert client.get("/dashboard").status_code == 403
    me = client.get("/me").text
    assert site.ids["chat-202611-001"] in me and site.ids[demo.AUDIO_CALL_ID] not in me


def test_cookie_bridge_needs_the_page_header_for_writes(site):
    from api.web import review_link

    if not review_link.available(site.client.app):
        pytest.skip("review routes not mounted: no page writes to the API")
    client = _login(site, "qa1")
    cid = site.ids["chat-202611-002"]
    assert client.get(f"/api/v1/conversations/{cid}").status_code == 200  # reads with the cookie
    hit = client.get(f"/api/v1/conversations/{cid}").json()["result"]["result"]["hits"][0]["id"]
    body = {"verdicts": [{"hit_id": hit, "verdict": "confirmed"}]}
    # without X-QA-Page the cookie is not used: a cross-site form post cannot act for the user
    assert client.post(f"/api/v1/review/conversations/{cid}/verdicts", json=body).status_code == 401
    r = client.post(f"/api/v1/review/conversations/{cid}/verdicts", json=body, headers={"X-QA-Page": "1"})
    assert r.status_code == 200, r.text


def test_audio_range_through_the_page_route(site):
    client = _login(site, "qa1")
    r = client.get(f"/conversations/{site.ids[demo.AUDIO_CALL_ID]}/audio", headers={"Range": "bytes=0-99"})
    assert r.status_code == 206 and len(r.content) == 100
