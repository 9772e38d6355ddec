"""Real-browser tests: headless Debian Chromium against uvicorn with the demo data."""

from __future__ import annotations

import pytest

from tests.web import seed as demo
from tests.web.conftest import login, shot

pytestmark = pytest.mark.usefixtures("browser")


def test_login_queue_keyboard_and_screenshot(browser, site):
    page = login(browser, site, "qa1")
    assert page.url.endswith("/queue")
    rows = page.locator("#queue tbody tr[data-href]")
    assert rows.count() > 0
    assert page.locator("th", has_text="主要命中").count() == 1
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("k")
    selected = page.locator("#queue tbody tr.selected")
    assert selected.count() == 1
    href = selected.get_attribute("data-href")
    assert href == rows.nth(0).get_attribute("data-href")
    shot(page, "queue")
    page.keyboard.press("Enter")
    page.wait_for_url(f"**{href}")
    assert page.locator("#transcript").count() == 1
    # sorting and filtering
    page.goto(f"{site.url}/queue?show=all&sort=score")
    scores = [float(t.split()[0]) for t in page.locator("#queue tbody td.score").all_inner_texts()]
    assert scores == sorted(scores) and len(scores) > 40
    page.goto(f"{site.url}/queue?show=all&agent=a4")
    agents = set(page.locator("#queue tbody tr td:nth-child(2)").all_inner_texts())
    assert agents == {"a4"}
    page.goto(f"{site.url}{href}")
    page.wait_for_url(f"**{href}")
    assert page.locator("#transcript").count() == 1
    page.context.close()


def test_login_rejects_wrong_password(browser, site):
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{site.url}/queue")
    assert "/login" in page.url  # not logged in: redirected, with the page to come back to
    page.fill("input[name=username]", "qa1")
    page.fill("input[name=password]", "wrong-password")
    page.click("button[type=submit]")
    assert page.locator(".error").inner_text() == "用户名或密码错误"
    shot(page, "login")
    context.close()


def test_click_hit_seeks_audio(browser, site):
    page = login(browser, site, "qa1")
    page.goto(f"{site.url}/conversations/{site.ids[demo.AUDIO_CALL_ID]}")
    player = page.locator("#player")
    page.wait_for_function("document.getElementById('player').readyState >= 1")
    items = page.locator(".hit-item[data-start]:not([data-start=''])")
    assert items.count() >= 1
    # pick a hit that does not start at 0 so the assertion proves the seek
    starts = [float(s) for s in items.evaluate_all("els => els.map(e => e.dataset.start)")]
    i = max(range(len(starts)), key=lambda k: starts[k])
    assert starts[i] > 1.0
    items.nth(i).click()
    page.wait_for_function(f"Math.abs(document.getElementById('player').currentTime - {starts[i]}) < 0.3")
    assert abs(player.evaluate("a => a.currentTime") - starts[i]) < 0.3
    # the utterance playing at that time is highlighted
    current = page.locator(".utt.current")
    assert current.count() == 1
    assert float(current.get_attribute("data-start")) <= starts[i] + 0.05
    # clicking an utterance seeks to its start
    utt = page.locator(".utt").nth(2)
    utt.click()
    want = float(utt.get_attribute("data-start"))
    page.wait_for_function(f"Math.abs(document.getElementById('player').currentTime - {want}) < 0.3")
    # hits are highlighted in the text at their spans, with rule and deduction in the side list
    assert page.locator("mark.hit").count() >= 1
    assert page.locator(".hit-item .ded").count() >= 1
    assert page.locator("svg.waterfall rect.step").count() >= 1
    assert page.locator("svg.emotion-curve circle").count() >= 1
    shot(page, "conversation")
    page.context.close()


def test_review_confirm_reject_updates_score_then_agent_appeals(browser, site):
    from api.web import review_link

    if not review_link.available(site.client.app):
        page = login(browser, site, "qa1")
        page.goto(f"{site.url}/conversations/{site.ids[demo.AUDIO_CALL_ID]}")
        assert "只读" in page.locator("#readonly-note").inner_text()
        pytest.skip("review routes not mounted: the page shows the machine result read-only")
    page = login(browser, site, "qa1")
    page.goto(f"{site.url}/conversations/{site.ids[demo.AUDIO_CALL_ID]}")
    machine = float(page.locator("#score").inner_text())
    rows = page.locator(".hit-item:has(.ded) .verdict-row")
    assert rows.count() >= 1, "the demo call has deducting hits"
    first = rows.nth(0)
    hit_id = first.get_attribute("data-hit")
    points = float(page.locator(f'.hit-item[data-hit="{hit_id}"] .ded').inner_text().lstrip("−"))
    # confirm: the verdict shows, the score stays the machine score (now labelled as reviewed)
    first.locator("button[data-verdict=confirmed]").click()
    verdict = page.locator(f'.verdict[data-hit="{hit_id}"]')
    verdict.locator("text=已确认").wait_for()
    page.locator("#score-source", has_text="复核后得分").wait_for()
    assert float(page.locator("#score").inner_text()) == pytest.approx(machine, abs=0.05)
    # reject the same hit with a comment: its deduction is given back and the score goes up
    first.locator(".v-comment").fill("客户先挂断，非坐席问题")
    first.locator("button[data-verdict=rejected]").click()
    verdict.locator("text=已驳回").wait_for()
    page.wait_for_function(f"parseFloat(document.getElementById('score').textContent) > {machine + 0.05}")
    after = float(page.locator("#score").inner_text())
    assert after == pytest.approx(min(100.0, machine + points), abs=0.6)
    # a manual deduction lowers the reviewed score by its points
    form = page.locator("#manual-form")
    form.locator("input[name=points]").fill("-2")
    form.locator("input[name=reason]").fill("未核实客户身份")
    form.locator("button[type=submit]").click()
    page.locator("#manual-list li", has_text="未核实客户身份").wait_for()
    page.wait_for_function(f"Math.abs(parseFloat(document.getElementById('score').textContent) - {after - 2}) < 0.06")
    shot(page, "conversation_reviewed")
    page.locator("#complete").click()
    page.locator("#review-status", has_text="已完成").wait_for()
    page.context.close()

    agent = login(browser, site, "agent1")
    agent.goto(f"{site.url}/conversations/{site.ids[demo.AUDIO_CALL_ID]}")
    form = agent.locator("#appeal-form")
    form.wait_for(state="visible")
    form.locator("textarea").fill("驳回后的扣分仍然过重，请复议")
    form.locator("button[type=submit]").click()
    agent.locator("#appeal .appeal-status").wait_for()
    assert "申诉" in agent.locator("#appeal").inner_text()
    agent.goto(f"{site.url}/me")
    assert agent.locator("#appeals li").count() == 1
    shot(agent, "agent_me_appeal")
    agent.context.close()


def test_agent_sees_own_page_and_not_others(browser, site):
    page = login(browser, site, "agent1")
    assert page.url.endswith("/me")
    ids = page.locator("#queue tbody tr[data-href]").evaluate_all("els => els.map(e => e.dataset.href)")
    assert ids, "agent1 (a1) has scored conversations in the demo data"
    shot(page, "agent_me")
    other = site.ids["chat-202611-001"]  # agent a4's chat
    assert f"/conversations/{other}" not in ids
    response = page.goto(f"{site.url}/conversations/{other}")
    assert response.status == 404
    assert "未找到" in page.locator("h1").inner_text()
    shot(page, "agent_404")
    # the agent's own conversation opens
    response = page.goto(site.url + ids[0])
    assert response.status == 200
    # reports are for supervisors
    assert page.goto(f"{site.url}/reports/emotion").status == 403
    page.context.close()


def test_pii_masked_unless_viewer_unmasks(browser, site):
    url = f"{site.url}/conversations/{site.ids[demo.PII_CHAT_ID]}"
    masked = "*" * 7 + demo.PII_PHONE[-4:]
    page = login(browser, site, "sup1")  # may not unmask
    assert page.goto(url + "?unmask=1").status == 403  # asking is not enough
    page.goto(url)
    text = page.locator("#transcript").inner_text()
    assert masked in text and demo.PII_PHONE not in text
    assert page.locator("#unmask").count() == 0
    page.context.close()
    page = login(browser, site, "admin")  # may unmask, but only on request (audited)
    page.goto(url)
    assert demo.PII_PHONE not in page.locator("#transcript").inner_text()
    assert page.locator("#unmask").get_attribute("href") == "?unmask=1"
    page.goto(url + "?unmask=1")
    assert demo.PII_PHONE in page.locator("#transcript").inner_text()
    page.context.close()
    from sqlalchemy import select

    from api.models import AuditLog

    with site.services.sessions() as session:
        rows = session.scalars(select(AuditLog).where(AuditLog.action == "unmask",
                                                      AuditLog.target_id == site.ids[demo.PII_CHAT_ID])).all()
    assert [r.actor for r in rows] == ["admin"]


def test_long_call_stays_usable(browser, site):
    page = login(browser, site, "qa1")
    page.goto(f"{site.url}/conversations/{site.ids[demo.LONG_CALL_ID]}")
    n = page.locator(".utt").count()
    assert n == demo.LONG_CALL_SECONDS // 3
    # hundreds of hits: the side list is paged, the transcript marks them all
    total = int(page.locator("#hits").locator("xpath=..").locator("h2 small").inner_text())
    assert total > 100 and page.locator(".hit-item").count() == 100
    assert page.locator("#hits-more a").get_attribute("href") == "?all_hits=1"
    assert page.locator("mark.hit").count() >= 100
    page.wait_for_function("document.getElementById('player').readyState >= 1")
    # seek near the end: the highlight follows within one timeupdate and the line is scrolled in view
    took = page.evaluate("""() => new Promise(resolve => {
        const a = document.getElementById('player');
        const t0 = performance.now();
        a.addEventListener('seeked', () => requestAnimationFrame(() => resolve(performance.now() - t0)), {once: true});
        a.currentTime = 3500.5; })""")
    page.wait_for_function("document.querySelector('.utt.current') !== null")
    current = page.locator(".utt.current")
    assert float(current.get_attribute("data-start")) == 3498.0
    assert current.is_visible()
    assert took < 1000, f"seek + highlight took {took:.0f} ms"
    shot(page, "long_call")
    page.context.close()
