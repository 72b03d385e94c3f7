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
})();
