// Keel's small client script: theme switching, toasts, the mobile menu, auto-submitting selects,
// character counters.
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
