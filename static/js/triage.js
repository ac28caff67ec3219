/* AppWatch triage: keyboard shortcuts for the queue and the complaint page.
   Queue: j/k move, o or Enter open, x select, / search. Detail: a accept, r reject,
   d duplicate, i ask, l link, n next, u up to the queue. ? shows the list. */
(function () {
  "use strict";
  function typing(event) {
    var t = event.target;
    return t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName));
  }
  var rows = Array.prototype.slice.call(document.querySelectorAll("[data-keyboard-list] [data-row]"));
  var current = -1;
  function highlight(index) {
    if (!rows.length) return;
    current = Math.max(0, Math.min(rows.length - 1, index));
    rows.forEach(function (row, i) { row.classList.toggle("is-current", i === current); });
    var link = rows[current].querySelector("a");
    if (link) link.focus({ preventScroll: false });
  }
  var selectAll = document.querySelector("[data-select-all]");
  if (selectAll) {
    selectAll.addEventListener("change", function () {
      document.querySelectorAll("input[name=ids]").forEach(function (box) { box.checked = selectAll.checked; });
    });
  }
  function click(selector) {
    var el = document.querySelector(selector);
    if (el) { el.click(); return true; }
    return false;
  }
  function focus(key) {
    var el = document.querySelector('[data-shortcut-focus="' + key + '"]');
    if (el) { el.scrollIntoView({ block: "center" }); el.focus(); return true; }
    return false;
  }
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event)) return;
    var key = event.key;
    var handled = true;
    if (key === "?") {
      var help = document.getElementById("shortcuts");
      if (help) { help.open = !help.open; help.scrollIntoView({ block: "center" }); }
    } else if (rows.length && key === "j") {
      highlight(current + 1);
    } else if (rows.length && key === "k") {
      highlight(current - 1);
    } else if (rows.length && (key === "o" || key === "Enter") && current >= 0) {
      window.location.href = rows[current].dataset.href;
    } else if (rows.length && key === "x" && current >= 0) {
      var box = rows[current].querySelector("input[name=ids]");
      if (box) box.checked = !box.checked;
    } else if (key === "/") {
      var search = document.querySelector('[data-shortcut="/"]');
      if (search) { var details = search.closest("details"); if (details) details.open = true; search.focus(); }
      else handled = false;
    } else if (key === "a") {
      handled = click('[data-shortcut="a"]');
    } else if (key === "n" || key === "u") {
      handled = click('[data-shortcut="' + key + '"]');
    } else if (key === "r" || key === "d" || key === "i" || key === "l") {
      handled = focus(key);
    } else {
      handled = false;
    }
    if (handled) event.preventDefault();
  });
})();
