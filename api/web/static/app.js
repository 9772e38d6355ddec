// 智能质检 pages: queue keyboard navigation, audio <-> transcript sync. Vanilla JS, no network.
(function () {
  "use strict";

  // ---------------------------------------------------------------- queue: j/k/enter
  var queue = document.getElementById("queue");
  if (queue) {
    var rows = Array.prototype.slice.call(queue.querySelectorAll("tbody tr[data-href]"));
    var sel = -1;
    var select = function (i) {
      if (!rows.length) return;
      if (sel >= 0) rows[sel].classList.remove("selected");
      sel = Math.max(0, Math.min(rows.length - 1, i));
      rows[sel].classList.add("selected");
      rows[sel].scrollIntoView({ block: "nearest" });
    };
    rows.forEach(function (row, i) {
      row.addEventListener("click", function (e) {
        if (e.target.closest("a")) return;
        window.location.href = row.dataset.href;
      });
    });
    document.addEventListener("keydown", function (e) {
      if (e.target.matches("input, select, textarea") || e.metaKey || e.ctrlKey || e.altKey) return;
      if (e.key === "j") { select(sel + 1); e.preventDefault(); }
      else if (e.key === "k") { select(sel - 1); e.preventDefault(); }
      else if (e.key === "Enter" && sel >= 0) { window.location.href = rows[sel].dataset.href; }
    });
  }

  // ---------------------------------------------------------------- conversation
  var transcript = document.getElementById("transcript");
  if (!transcript) return;
  var player = document.getElementById("player");
  var follow = document.getElementById("follow");
  var utts = Array.prototype.slice.call(transcript.querySelectorAll(".utt"));
  // starts sorted by time (utterances are stored in time order; ties keep index order)
  var starts = utts.map(function (u) { return u.dataset.start === "" ? NaN : parseFloat(u.dataset.start); });
  var current = null;

  function seek(seconds) {
    if (!player || isNaN(seconds)) return false;
    player.currentTime = seconds;
    return true;
  }

  // Binary search: the last utterance that started at or before t. O(log n) per timeupdate,
  // so a 1-hour call with thousands of lines costs the same as a short one.
  function indexAt(t) {
    var lo = 0, hi = starts.length - 1, best = -1;
    while (lo <= hi) {
      var mid = (lo + hi) >> 1;
      if (isNaN(starts[mid]) || starts[mid] <= t) { best = mid; lo = mid + 1; } else { hi = mid - 1; }
    }
    return best;
  }

  function highlight(i, scroll) {
    var el = i >= 0 ? utts[i] : null;
    if (el === current) return;
    if (current) current.classList.remove("current");
    current = el;
    if (!el) return;
    el.classList.add("current");
    if (scroll) el.scrollIntoView({ block: "center", behavior: "auto" });
  }

  if (player) {
    player.addEventListener("timeupdate", function () {
      highlight(indexAt(player.currentTime + 0.05), follow && follow.checked);
    });
  }

  function jumpToUtterance(idx) {
    var el = document.getElementById("u" + idx);
    if (!el) return;
    var i = utts.indexOf(el);
    seek(parseFloat(el.dataset.start));
    highlight(i, true);
  }

  transcript.addEventListener("click", function (e) {
    var mark = e.target.closest("mark.hit");
    if (mark) {
      var first = mark.dataset.hits.split(" ")[0];
      var item = document.getElementById("hit-" + first);
      if (item) { activate(item); return; }
    }
    var u = e.target.closest(".utt");
    if (u) { seek(parseFloat(u.dataset.start)); highlight(utts.indexOf(u), false); }
  });

  function activate(item) {
    document.querySelectorAll(".hit-item.active").forEach(function (x) { x.classList.remove("active"); });
    item.classList.add("active");
    var start = parseFloat(item.dataset.start);
    if (!seek(start) || isNaN(start)) { if (item.dataset.utt !== "") jumpToUtterance(item.dataset.utt); }
    else highlight(indexAt(start + 0.05), true);
    document.querySelectorAll("mark.flash").forEach(function (m) { m.classList.remove("flash"); });
    document.querySelectorAll('mark.hit').forEach(function (m) {
      if (m.dataset.hits.split(" ").indexOf(item.dataset.hit) >= 0) m.classList.add("flash");
    });
  }

  var hits = document.getElementById("hits");
  if (hits) {
    hits.addEventListener("click", function (e) {
      var item = e.target.closest(".hit-item");
      if (item) activate(item);
    });
    hits.addEventListener("keydown", function (e) {
      var item = e.target.closest(".hit-item");
      if (item && e.key === "Enter") activate(item);
    });
  }

  document.querySelectorAll("svg.emotion-curve circle.peak").forEach(function (c) {
    c.addEventListener("click", function () { jumpToUtterance(c.dataset.utt); });
  });
  document.querySelectorAll("svg.waterfall rect.step[data-hits]").forEach(function (r) {
    r.addEventListener("click", function () {
      var item = document.getElementById("hit-" + r.dataset.hits.split(" ")[0]);
      if (item) { activate(item); item.scrollIntoView({ block: "nearest" }); }
    });
  });

  if (location.hash && /^#u\d+$/.test(location.hash)) jumpToUtterance(location.hash.slice(2));
})();
