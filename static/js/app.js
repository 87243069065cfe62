// Keel's small client script: theme switching, toasts, auto-submitting selects.
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
  applyTheme(localStorage.getItem("keel-theme") || "system");

  document.addEventListener("click", function (event) {
    var toggle = event.target.closest("[data-theme-toggle]");
    if (toggle) {
      var next = THEMES[(THEMES.indexOf(root.getAttribute("data-theme")) + 1) % THEMES.length];
      localStorage.setItem("keel-theme", next);
      applyTheme(next);
    }
    var dismiss = event.target.closest("[data-dismiss]");
    if (dismiss) { dismiss.closest(".toast").remove(); }
  });

  document.addEventListener("change", function (event) {
    var select = event.target.closest("select[data-autosubmit]");
    if (select && select.form) { select.form.requestSubmit(); }
  });

  function armToasts(scope) {
    (scope || document).querySelectorAll(".toast[data-autodismiss]").forEach(function (toast) {
      toast.removeAttribute("data-autodismiss");
      setTimeout(function () { toast.remove(); }, 6000);
    });
  }
  document.addEventListener("DOMContentLoaded", function () { armToasts(document); applyTheme(root.getAttribute("data-theme")); });
  document.addEventListener("htmx:load", function (event) { armToasts(event.target); });
  // hx-boost swaps the body; the theme attribute lives on <html> and survives.
})();
