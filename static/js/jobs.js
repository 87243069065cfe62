// Ask once: show the custom-instruction field only when the custom task is picked.
// Progressive enhancement: without JS the field is always shown (and ignored unless needed).
(function () {
  "use strict";
  function sync(form) {
    var picked = form.querySelector("input[name=task]:checked");
    var box = form.querySelector("[data-ask-instruction]");
    if (box) { box.hidden = !(picked && picked.value === "custom"); }
  }
  function arm(scope) {
    (scope || document).querySelectorAll("form[data-ask-form]").forEach(sync);
  }
  document.addEventListener("change", function (event) {
    var form = event.target.closest("form[data-ask-form]");
    if (form && event.target.name === "task") { sync(form); }
  });
  document.addEventListener("DOMContentLoaded", function () { arm(document); });
  document.addEventListener("htmx:load", function (event) { arm(event.target); });
})();
