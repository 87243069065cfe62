// Keel's small client script: theme switching, toasts, the mobile menu, auto-submitting selects,
// character counters, the upload drop zone.
// No inline scripts anywhere (the CSP forbids them); behaviour hangs off data- attributes.
(function () {
  "use strict";
  var root = document.documentElement;
  var THEMES = ["system", "light", "dark"];

  function applyTheme(theme) {
    root.setAttribute("data-theme", theme);
    document.querySelectorAll("[data-theme-toggle] .theme-label").forEach(function (label) {
      label.textContent = "Theme: " + theme;
    });
  }

  function storeTheme(theme) {
    // A cookie, not localStorage: the server renders <html data-theme> from it, so no flash.
    document.cookie = "keel_theme=" + theme + "; path=/; max-age=31536000; SameSite=Lax";
  }

  function armToasts(scope) {
    (scope || document).querySelectorAll(".toast[data-autodismiss]").forEach(function (toast) {
      toast.removeAttribute("data-autodismiss");
      // Errors stay until dismissed: people need time to read what went wrong.
      if (toast.classList.contains("toast-error")) { return; }
      setTimeout(function () { toast.remove(); }, 6000);
    });
  }

  document.addEventListener("click", function (event) {
    var toggle = event.target.closest("[data-theme-toggle]");
    if (toggle) {
      var next = THEMES[(THEMES.indexOf(root.getAttribute("data-theme")) + 1) % THEMES.length];
      storeTheme(next);
      applyTheme(next);
    }
    var dismiss = event.target.closest("[data-dismiss]");
    if (dismiss) { dismiss.closest(".toast").remove(); }
    var navToggle = event.target.closest("[data-nav-toggle]");
    if (navToggle) {
      var open = navToggle.getAttribute("aria-expanded") !== "true";
      navToggle.setAttribute("aria-expanded", open ? "true" : "false");
      document.getElementById(navToggle.getAttribute("aria-controls")).classList.toggle("is-open", open);
    }
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") { return; }
    document.querySelectorAll(".toast").forEach(function (toast) { toast.remove(); });
  });

  document.addEventListener("change", function (event) {
    var select = event.target.closest("select[data-autosubmit]");
    if (select && select.form) { select.form.requestSubmit(); }
  });

  // A live "1,234 / 50,000 characters" under every field with data-max-chars. Limits are enforced
  // by the server with a message, never by a maxlength that would cut a paste without a word.
  function formatCount(n) { return n.toLocaleString("en-US"); }
  function updateCounter(field) {
    var counter = document.getElementById(field.id + "-counter");
    if (!counter) { return; }
    var max = parseInt(field.getAttribute("data-max-chars"), 10);
    var length = field.value.length;
    counter.textContent = formatCount(length) + " / " + formatCount(max) + " characters";
    counter.setAttribute("data-over", length > max ? "true" : "false");
    // A field may show its counter only near the limit (the chat composer does, in CSS).
    counter.setAttribute("data-near", length > max * 0.8 ? "true" : "false");
  }
  function armCounters(scope) {
    (scope || document).querySelectorAll("[data-max-chars]").forEach(function (field) {
      if (!field.id || document.getElementById(field.id + "-counter")) { return; }
      var counter = document.createElement("span");
      counter.id = field.id + "-counter";
      counter.className = "char-counter";
      counter.setAttribute("data-testid", "char-counter-" + field.id);
      counter.setAttribute("aria-live", "polite");
      field.insertAdjacentElement("afterend", counter);
      updateCounter(field);
    });
  }
  document.addEventListener("input", function (event) {
    if (event.target.matches && event.target.matches("[data-max-chars]")) { updateCounter(event.target); }
  });

  // Upload drop zones: a form with data-dropzone around a plain <input type=file multiple>, which
  // works without this script. Here dragging files over the zone highlights it, and dropping them
  // puts them in that input and submits the same form (htmx posts it: one request, every file).
  function dropzoneOf(event) {
    var zone = event.target.closest && event.target.closest("[data-dropzone-target]");
    return zone && zone.closest("form[data-dropzone]") ? zone : null;
  }
  function carriesFiles(event) {
    var types = event.dataTransfer && event.dataTransfer.types;
    return !!types && Array.prototype.indexOf.call(types, "Files") !== -1;
  }
  function showChosen(input) {
    var form = input.closest("form[data-dropzone]");
    var chosen = form && form.querySelector("[data-dropzone-chosen]");
    if (!chosen) { return; }
    var names = Array.prototype.map.call(input.files || [], function (file) { return file.name; });
    chosen.textContent = names.length ? names.length + " chosen: " + names.join(", ") : "";
  }
  ["dragenter", "dragover"].forEach(function (type) {
    document.addEventListener(type, function (event) {
      var zone = dropzoneOf(event);
      if (!zone || !carriesFiles(event)) { return; }
      event.preventDefault();  // without it the browser opens the file instead of dropping it
      event.dataTransfer.dropEffect = "copy";
      zone.classList.add("is-dragover");
    });
  });
  document.addEventListener("dragleave", function (event) {
    var zone = dropzoneOf(event);
    // Leaving for one of the zone's own children is not leaving the zone.
    if (zone && !zone.contains(event.relatedTarget)) { zone.classList.remove("is-dragover"); }
  });
  document.addEventListener("drop", function (event) {
    var zone = dropzoneOf(event);
    if (!zone || !carriesFiles(event)) { return; }
    event.preventDefault();
    zone.classList.remove("is-dragover");
    var form = zone.closest("form[data-dropzone]");
    var input = form.querySelector("input[type=file][data-dropzone-input]");
    if (!input || !event.dataTransfer.files.length) { return; }
    input.files = event.dataTransfer.files;
    showChosen(input);
    form.requestSubmit();
  });
  document.addEventListener("change", function (event) {
    if (event.target.matches && event.target.matches("input[type=file][data-dropzone-input]")) {
      showChosen(event.target);
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    armCounters(document);
    armToasts(document);
    applyTheme(root.getAttribute("data-theme") || "system");
  });
  // Fragments and out-of-band toasts arrive through htmx; boosted pages swap the body.
  document.addEventListener("htmx:load", function (event) {
    armCounters(document);
    armToasts(document);
    applyTheme(root.getAttribute("data-theme") || "system");
  });
})();
