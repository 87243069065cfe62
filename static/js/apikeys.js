// API keys: the copy button beside a freshly created key (no inline JS: the CSP forbids it).
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) { return; }
    var field = document.querySelector(button.getAttribute("data-copy"));
    var status = document.querySelector("[data-copy-status]");
    if (!field) { return; }
    field.select();
    function done(text) { if (status) { status.textContent = text; } }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(
        function () { done("Copied to the clipboard."); },
        function () { done("Press Ctrl+C (⌘C) to copy the selected key."); }
      );
    } else {
      // Plain http (not localhost): no async clipboard; the key is selected for a manual copy.
      done(document.execCommand && document.execCommand("copy") ? "Copied to the clipboard." : "Press Ctrl+C (⌘C) to copy the selected key.");
    }
  });
})();
