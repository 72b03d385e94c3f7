// Contacts CRM — the UI shell's own script. No dependencies; everything here is an enhancement.
(function () {
  "use strict";

  // After a failed submit, move focus to the "There is a problem" summary so it is read out first.
  function focusErrorSummary(scope) {
    var summary = document.getElementById("error-summary");
    if (summary && (scope === document || scope === summary || scope.contains(summary))) {
      summary.focus();
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { focusErrorSummary(document); });
  } else {
    focusErrorSummary(document);
  }

  // The same when an htmx swap brings a summary in (this event only fires when htmx is loaded).
  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail && event.detail.elt;
    if (target && target.isConnected) {
      focusErrorSummary(target);
    } else {
      focusErrorSummary(document);
    }
  });

  // Bulk selection on a list: the header box selects the page (and shows a third, mixed state),
  // shift+click selects a range, and the bar shows only while something is selected. Without this
  // script the bar is always there and the form still works.
  function initBulk(root) {
    var form = root.querySelector ? root.querySelector("form[data-bulk]") : null;
    if (!form || form.dataset.bulkReady) { return; }
    form.dataset.bulkReady = "1";
    var bar = form.querySelector(".bulk-bar");
    var count = form.querySelector("[data-bulk-count]");
    var pageBox = form.querySelector("[data-bulk-page]");
    var allBox = form.querySelector("[data-bulk-all]");
    var rows = Array.prototype.slice.call(form.querySelectorAll("[data-bulk-row]"));
    var filters = document.querySelector(".list-filters");
    var lastClicked = null;
    if (!bar || !rows.length) { return; }

    function update() {
      var ticked = rows.filter(function (box) { return box.checked; }).length;
      if (pageBox) {
        pageBox.checked = ticked === rows.length;
        pageBox.indeterminate = ticked > 0 && ticked < rows.length;
      }
      var total = form.dataset.total;
      if (allBox && allBox.checked) {
        count.textContent = "All " + Number(total).toLocaleString("en-GB") + " matching contacts selected";
      } else {
        count.textContent = ticked + " selected";
      }
      var any = ticked > 0 || (allBox && allBox.checked);
      bar.hidden = !any;
      if (filters) { filters.hidden = any; }
    }

    rows.forEach(function (box) {
      box.addEventListener("click", function (event) {
        if (event.shiftKey && lastClicked && lastClicked !== box) {
          var from = rows.indexOf(lastClicked), to = rows.indexOf(box);
          rows.slice(Math.min(from, to), Math.max(from, to) + 1).forEach(function (other) { other.checked = box.checked; });
        }
        lastClicked = box;
        if (!box.checked && allBox) { allBox.checked = false; }
        update();
      });
    });
    if (pageBox) {
      pageBox.addEventListener("change", function () {
        rows.forEach(function (box) { box.checked = pageBox.checked; });
        if (!pageBox.checked && allBox) { allBox.checked = false; }
        update();
      });
    }
    if (allBox) {
      allBox.addEventListener("change", function () {
        if (allBox.checked) { rows.forEach(function (box) { box.checked = true; }); }
        update();
      });
    }
    update();
  }

  initBulk(document);
  document.addEventListener("DOMContentLoaded", function () { initBulk(document); });
  document.addEventListener("htmx:afterSettle", function () {
    var filters = document.querySelector(".list-filters");
    if (filters) { filters.hidden = false; }
    initBulk(document);
  });

  // Say a list is busy while htmx replaces its results.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var results = document.getElementById("results");
    if (results && event.detail.target === results) { results.setAttribute("aria-busy", "true"); }
  });
  document.addEventListener("htmx:afterSettle", function () {
    var results = document.getElementById("results");
    if (results) { results.removeAttribute("aria-busy"); }
  });
})();
