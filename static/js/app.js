// Keel's small client script: theme switching, toasts, the mobile menu, auto-submitting selects.
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

  document.addEventListener("DOMContentLoaded", function () {
    armToasts(document);
    applyTheme(root.getAttribute("data-theme") || "system");
  });
  // Fragments and out-of-band toasts arrive through htmx; boosted pages swap the body.
  document.addEventListener("htmx:load", function (event) {
    armToasts(document);
    applyTheme(root.getAttribute("data-theme") || "system");
  });
})();
