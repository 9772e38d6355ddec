// Review panel of the conversation page: talks to the review API (/api/v1/review/...) with the
// page's session cookie. Verdicts, manual items, completion, role swap and appeals all answer
// the full review detail, which is rendered here (score, verdicts, manual items, appeal).
(function () {
  "use strict";
  var root = document.getElementById("review");
  if (!root) return;
  var base = "/api/v1/review/conversations/" + encodeURIComponent(root.dataset.cid);
  var role = root.dataset.role;
  var statusEl = document.getElementById("review-status");
  var errorEl = document.getElementById("review-error");
  var STATUS = { pending: "待复核", in_review: "复核中", done: "已完成" };
  var VERDICT = { confirmed: "已确认", rejected: "已驳回" };

  function text(tag, value, cls) {
    var el = document.createElement(tag);
    el.textContent = value;
    if (cls) el.className = cls;
    return el;
  }

  function call(method, path, body) {
    errorEl.hidden = true;
    return fetch(base + path, {
      method: method, credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-QA-Page": "1" },
      body: body === undefined ? undefined : JSON.stringify(body)
    }).then(function (r) {
      return r.json().catch(function () { return null; }).then(function (data) {
        if (!r.ok) {
          var err = new Error((data && data.error && data.error.message) || ("HTTP " + r.status));
          err.status = r.status;
          throw err;
        }
        return data;
      });
    });
  }

  function fail(err) {
    errorEl.textContent = err.message;
    errorEl.hidden = false;
  }

  function render(d) {
    var item = d.item || {};
    statusEl.textContent = (STATUS[item.status] || item.status || "") + (item.reviewer ? " · 复核人 " + item.reviewer : "");
    if (d.final) {
      document.getElementById("score").textContent = d.final.score.toFixed(1);
      document.getElementById("grade").textContent = d.final.grade + (d.final.veto ? " · 一票否决" : "");
      document.getElementById("score-source").textContent = "复核后得分（机检 " + d.final.machine_score.toFixed(1) + "）";
    }
    (d.hits || []).forEach(function (h) {
      var box = document.querySelector('.verdict[data-hit="' + CSS.escape(h.id) + '"]');
      if (!box) return;
      box.textContent = "";
      if (h.verdict) {
        box.appendChild(text("span", VERDICT[h.verdict.verdict] || h.verdict.verdict,
          "badge " + (h.verdict.verdict === "confirmed" ? "good" : "sev-major")));
        box.appendChild(text("span", " " + (h.verdict.reviewer || "") + (h.verdict.comment ? "：" + h.verdict.comment : ""), "sub"));
      }
    });
    var list = document.getElementById("manual-list");
    if (list) {
      list.textContent = "";
      (d.manual_items || []).forEach(function (m) {
        var li = text("li", (m.points > 0 ? "+" : "") + m.points + " 分 · " + m.dimension + " · " + m.reason + "（" + m.by + "）");
        var del = text("button", "撤销", "link-btn");
        del.type = "button";
        del.addEventListener("click", function () { call("DELETE", "/manual-items/" + m.id).then(render, fail); });
        li.appendChild(del);
        list.appendChild(li);
      });
    }
    var appeal = document.getElementById("appeal");
    appeal.textContent = "";
    if (d.appeal) {
      appeal.appendChild(text("div", "申诉：" + d.appeal.status_label + (d.appeal.due_at ? " · 处理期限 " + d.appeal.due_at.slice(0, 16).replace("T", " ") : "")
        + (d.appeal.score_after != null ? " · 改判后 " + d.appeal.score_after : ""), "appeal-status"));
      appeal.appendChild(text("div", "理由：" + d.appeal.reason, "sub"));
    }
    var form = document.getElementById("appeal-form");
    if (form) form.hidden = !!d.appeal || item.status !== "done";
    if (form && item.status !== "done" && !d.appeal) appeal.appendChild(text("div", "复核完成后可在申诉期内提出申诉", "sub"));
  }

  function load() {
    return call("GET", "").then(render, function (err) {
      if (err.status === 404) { statusEl.textContent = "尚未进入复核" + (role === "agent" ? "" : "；确认或驳回命中即开始复核"); return; }
      fail(err);
    });
  }

  document.querySelectorAll(".verdict-row .v-btn").forEach(function (btn) {
    btn.addEventListener("click", function (e) {
      e.stopPropagation();  // not a seek
      var row = btn.closest(".verdict-row");
      var comment = row.querySelector(".v-comment").value;
      call("POST", "/verdicts", { verdicts: [{ hit_id: row.dataset.hit, verdict: btn.dataset.verdict, comment: comment }] })
        .then(render, fail);
    });
  });
  document.querySelectorAll(".verdict-row input").forEach(function (input) {
    input.addEventListener("click", function (e) { e.stopPropagation(); });
  });
  var manual = document.getElementById("manual-form");
  if (manual) manual.addEventListener("submit", function (e) {
    e.preventDefault();
    var f = new FormData(manual);
    call("POST", "/manual-items", { dimension: f.get("dimension"), points: parseFloat(f.get("points")), reason: f.get("reason") })
      .then(function (d) { manual.reset(); render(d); }, fail);
  });
  var complete = document.getElementById("complete");
  if (complete) complete.addEventListener("click", function () { call("POST", "/complete").then(render, fail); });
  var swap = document.getElementById("role-swap");
  if (swap) swap.addEventListener("click", function () {
    if (!window.confirm("确定互换坐席与客户角色并重新评分？")) return;
    call("POST", "/role-swap").then(function () { statusEl.textContent = "已提交角色互换，重新评分后刷新页面查看新版本"; }, fail);
  });
  var appealForm = document.getElementById("appeal-form");
  if (appealForm) appealForm.addEventListener("submit", function (e) {
    e.preventDefault();
    var reason = new FormData(appealForm).get("reason");
    call("POST", "/appeal", { reason: reason }).then(function () { return load(); }, fail);
  });
  load();
})();
