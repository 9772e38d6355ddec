// Rules page: backtest a draft rule pack through the review API and show its hit counts next
// to the active pack's, rule by rule (rules only in the draft are appended as new rows).
(function () {
  "use strict";
  var form = document.getElementById("backtest-form");
  if (!form) return;
  var status = document.getElementById("backtest-status");
  var summary = document.getElementById("backtest-summary");

  function cell(row, cls, rule) {
    var td = row.querySelector("td." + cls);
    if (td) return td;
    td = document.createElement("td");
    td.className = "num " + cls;
    td.dataset.rule = rule;
    row.appendChild(td);
    return td;
  }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var file = form.elements.pack.files[0];
    if (!file) return;
    status.textContent = "回测中…";
    file.text().then(function (yaml) {
      return fetch("/api/v1/rules/backtest", {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-QA-Page": "1" },
        body: JSON.stringify({ pack_yaml: yaml, filename: file.name.replace(/[^\w.-]/g, "_"),
                               limit: parseInt(form.elements.limit.value, 10) || 100 })
      });
    }).then(function (r) {
      return r.json().then(function (data) {
        if (!r.ok) throw new Error((data.error && data.error.message) || ("HTTP " + r.status));
        return data;
      });
    }).then(function (data) {
      status.textContent = "";
      summary.hidden = false;
      summary.textContent = "草稿 " + data.draft.id + " v" + data.draft.version + "：回测 " + data.conversations +
        " 个会话，" + data.changed + " 个结果变化，平均分变化 " + data.mean_score_delta +
        (data.warnings && data.warnings.length ? "；警告：" + data.warnings.join("；") : "");
      var tbody = document.querySelector("#rules tbody");
      data.rules.forEach(function (s) {
        var anchor = tbody.querySelector('td.bt-old[data-rule="' + CSS.escape(s.rule_id) + '"]');
        var row = anchor ? anchor.parentNode : null;
        if (!row) {
          row = document.createElement("tr");
          var name = document.createElement("td");
          name.textContent = s.rule_id + "（仅草稿）";
          row.appendChild(name);
          for (var i = 0; i < 6; i++) row.appendChild(document.createElement("td"));
          tbody.appendChild(row);
        }
        cell(row, "bt-old", s.rule_id).textContent = s.old_hits;
        var fresh = cell(row, "bt-new", s.rule_id);
        fresh.textContent = s.new_hits + (s.diff ? "（" + (s.diff > 0 ? "+" : "") + s.diff + "）" : "");
        fresh.classList.toggle("late", s.diff !== 0);
      });
    }).catch(function (err) { status.textContent = "回测失败：" + err.message; });
  });
})();
