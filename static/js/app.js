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
      // The page header's Export and Delete submit this form: say what they will act on.
      Array.prototype.forEach.call(document.querySelectorAll('[form="' + form.id + '"][data-bulk-verb]'), function (button) {
        var verb = button.dataset.bulkVerb;
        if (allBox && allBox.checked) {
          button.textContent = verb + " all " + Number(total).toLocaleString("en-GB") + " matching contacts";
        } else if (ticked) {
          button.textContent = verb + " " + ticked + " selected contact" + (ticked === 1 ? "" : "s");
        } else {
          button.textContent = verb + " contacts";
        }
      });
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

  // Company rows of the contact form: the name input becomes a combobox over the suggestion list htmx
  // fills as staff type (the ARIA 1.2 combobox pattern with a listbox popup). Arrow keys move through the
  // suggestions, Enter picks the highlighted one and never submits the form, Escape closes the list.
  // "Create company …" is the only way to a new company: choosing it sets the row's hidden choice. Without
  // this script the input is a plain text field and the server answers an unknown name with the closest.
  function announce(text) {
    var status = document.getElementById("status");
    if (status) { status.textContent = text; }
  }

  function comboboxParts(input) {
    var row = input.closest(".combobox") || input.parentNode;
    return {
      row: row,
      listbox: document.getElementById(input.dataset.combobox),
      note: row ? row.querySelector("[data-combobox-note]") : null,
    };
  }

  function comboboxOptions(listbox) {
    return listbox ? Array.prototype.slice.call(listbox.querySelectorAll("[role=option]")) : [];
  }

  function initComboboxes(root) {
    var inputs = root.querySelectorAll ? root.querySelectorAll("input[data-combobox]") : [];
    Array.prototype.forEach.call(inputs, function (input) {
      if (input.getAttribute("role") === "combobox") { return; }
      input.setAttribute("role", "combobox");
      input.setAttribute("aria-autocomplete", "list");
      input.setAttribute("aria-expanded", "false");
      input.setAttribute("aria-controls", input.dataset.combobox);
    });
  }

  function comboboxOpen(input, open) {
    var listbox = comboboxParts(input).listbox;
    if (!listbox) { return; }
    var show = open && comboboxOptions(listbox).length > 0;
    listbox.hidden = !show;
    input.setAttribute("aria-expanded", show ? "true" : "false");
    if (show) {
      listbox.style.top = (input.offsetTop + input.offsetHeight + 2) + "px";
      listbox.style.left = input.offsetLeft + "px";
      listbox.style.width = input.offsetWidth + "px";
    } else {
      comboboxHighlight(input, null);
    }
  }

  function comboboxHighlight(input, option) {
    var listbox = comboboxParts(input).listbox;
    comboboxOptions(listbox).forEach(function (each) {
      each.setAttribute("aria-selected", each === option ? "true" : "false");
    });
    if (option) {
      input.setAttribute("aria-activedescendant", option.id);
      option.scrollIntoView({ block: "nearest" });
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  }

  // The row's choice: a hidden input, or the radio buttons the server offered after an unknown name.
  // Anything typed makes those radio buttons out of date, so they give way to a hidden input.
  function comboboxChoice(input) {
    var row = comboboxParts(input).row;
    var offer = row.querySelector("[data-company-offer]");
    if (offer) {
      var hidden = document.createElement("input");
      hidden.type = "hidden";
      hidden.name = offer.dataset.companyOffer;
      offer.replaceWith(hidden);
      return hidden;
    }
    return row.querySelector("input[type=hidden][name$='-choice']");
  }

  function comboboxPick(input, option) {
    var parts = comboboxParts(input);
    var creating = option.dataset.choice.indexOf("create:") === 0;
    input.value = option.dataset.value;
    var choice = comboboxChoice(input);
    if (choice) { choice.value = creating ? option.dataset.choice : ""; }
    var note = creating ? "A new company “" + option.dataset.value + "” will be created when you save." : "";
    if (parts.note) { parts.note.textContent = note; }
    comboboxOpen(input, false);
    announce(creating ? note : option.dataset.value + " chosen.");
    input.focus();
  }

  document.addEventListener("keydown", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("input[data-combobox]")) { return; }
    var listbox = comboboxParts(input).listbox;
    var options = comboboxOptions(listbox);
    var open = listbox && !listbox.hidden;
    var current = options.indexOf(listbox ? listbox.querySelector("[aria-selected=true]") : null);
    if (event.key === "Enter") {
      // Never submit the whole form from here: pick the highlighted suggestion, or do nothing.
      event.preventDefault();
      if (open && current >= 0) { comboboxPick(input, options[current]); }
    } else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      if (!open) {
        if (options.length) { comboboxOpen(input, true); } else { input.dispatchEvent(new Event("suggest")); }
        if (!options.length) { return; }
      }
      var step = event.key === "ArrowDown" ? 1 : -1;
      var next = current < 0 ? (step > 0 ? 0 : options.length - 1) : (current + step + options.length) % options.length;
      comboboxHighlight(input, options[next]);
    } else if (event.key === "Escape" && open) {
      event.preventDefault();
      comboboxOpen(input, false);
    } else if (event.key === "Tab") {
      comboboxOpen(input, false);
    }
  });

  document.addEventListener("input", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("input[data-combobox]")) { return; }
    // What was chosen before belongs to the old text.
    var choice = comboboxChoice(input);
    if (choice) { choice.value = ""; }
    var note = comboboxParts(input).note;
    if (note) { note.textContent = ""; }
    comboboxHighlight(input, null);
  });

  // Keep focus in the input while an option (or the list's scroll bar) is clicked; a click on an option picks it.
  document.addEventListener("mousedown", function (event) {
    if (event.target.closest && event.target.closest(".combobox__listbox")) { event.preventDefault(); }
  });
  document.addEventListener("click", function (event) {
    var option = event.target.closest ? event.target.closest(".combobox__listbox [role=option]") : null;
    if (!option) { return; }
    var input = document.querySelector("input[data-combobox='" + option.parentNode.id + "']");
    if (input) { comboboxPick(input, option); }
  });

  document.addEventListener("focusout", function (event) {
    var input = event.target;
    if (input.matches && input.matches("input[data-combobox]")) { comboboxOpen(input, false); }
  });

  // New suggestions: number the options for aria-activedescendant, show them, say how many there are.
  document.addEventListener("htmx:afterSwap", function (event) {
    var listbox = event.detail && event.detail.target;
    if (!listbox || !listbox.classList || !listbox.classList.contains("combobox__listbox")) { return; }
    var input = document.querySelector("input[data-combobox='" + listbox.id + "']");
    var options = comboboxOptions(listbox);
    options.forEach(function (option, index) {
      option.id = listbox.id + "-" + index;
      option.setAttribute("aria-selected", "false");
    });
    if (!input) { return; }
    var focused = document.activeElement === input;
    comboboxOpen(input, focused);
    if (focused && input.value.trim()) {
      var companies = options.filter(function (option) { return !option.classList.contains("combobox__option--create"); }).length;
      var found = companies ? companies + (companies === 1 ? " company matches" : " companies match") : "No company matches";
      if (options.length > companies) { found += "; you can also create it"; }
      announce(options.length ? found + ". Use the up and down arrows to choose." : found + ".");
    }
  });

  initComboboxes(document);
  document.addEventListener("DOMContentLoaded", function () { initComboboxes(document); });
  document.addEventListener("htmx:afterSettle", function () { initComboboxes(document); });

  // Actions menus (native <details>): Esc closes the open one and gives focus back to its summary; a click
  // or focus elsewhere closes it. Without this script they open and close from the keyboard all the same.
  function openMenus() {
    return Array.prototype.slice.call(document.querySelectorAll("details.actions-menu[open]"));
  }
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") { return; }
    openMenus().forEach(function (menu) {
      var hadFocus = menu.contains(document.activeElement);
      menu.open = false;
      if (hadFocus) { menu.querySelector("summary").focus(); }
    });
  });
  document.addEventListener("click", function (event) {
    openMenus().forEach(function (menu) {
      if (!menu.contains(event.target)) { menu.open = false; }
    });
  });
  document.addEventListener("focusin", function (event) {
    openMenus().forEach(function (menu) {
      if (!menu.contains(event.target)) { menu.open = false; }
    });
  });

  // Export: once Export is pressed, say the download has started (on the page and through the status
  // region), and ignore further presses for a few seconds, so a double click starts one download. The
  // button is marked aria-disabled rather than disabled: a disabled submitter would drop its own value
  // from this very submission, and would lose keyboard focus.
  var EXPORT_PAUSE_MS = 4000;
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form[data-export]")) { return; }
    if (form.dataset.exportBusy) {
      event.preventDefault();
      return;
    }
    form.dataset.exportBusy = "1";
    var button = event.submitter;
    if (button) { button.setAttribute("aria-disabled", "true"); }
    // A ticked "in the background", or a choice past the threshold, leads to the Jobs page, not a download.
    var queued = form.querySelector("#id_background:checked, input[name=scope][data-export-background]:checked");
    var started = form.querySelector(queued ? "[data-export-queued]" : "[data-export-started]");
    var status = document.getElementById("status");
    if (started) {
      started.hidden = false;
      if (status) { status.textContent = started.textContent; }
    }
    window.setTimeout(function () {
      delete form.dataset.exportBusy;
      if (button) { button.removeAttribute("aria-disabled"); }
    }, EXPORT_PAUSE_MS);
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
