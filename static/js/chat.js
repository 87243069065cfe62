// Keel chat: follows each streaming reply over SSE and keeps the composer honest.
// Every element with data-stream-url gets one EventSource. The cursor of the last event seen is
// kept on the element (data-cursor) and sent as ?after= when a new EventSource has to be opened
// (htmx swaps, a closed connection): the server then sends exactly what came after it, so text
// is never duplicated or lost. The browser's own reconnect sends Last-Event-ID, which the server
// prefers. No inline script anywhere: the CSP forbids it.
(function () {
  "use strict";
  var sources = {};
  var RETRY_MS = 1000;

  function streamUrl(el) {
    var url = el.getAttribute("data-stream-url");
    var cursor = el.getAttribute("data-cursor") || "";
    return cursor ? url + "?after=" + encodeURIComponent(cursor) : url;
  }

  function refreshList() {
    var list = document.getElementById("message-list");
    var url = list && list.getAttribute("data-refresh-url");
    if (url && window.htmx) {
      window.htmx.ajax("GET", url, { target: "#message-list", swap: "outerHTML" });
    }
  }

  function finish(el, id, data) {
    close(id);
    if (data && data.html) {
      var holder = document.createElement("div");
      holder.innerHTML = data.html;  // server-rendered and sanitised
      var fresh = holder.firstElementChild;
      if (fresh && el.isConnected) {
        el.replaceWith(fresh);
        if (window.htmx) { window.htmx.process(fresh); }
      }
    }
    updateComposer();
    // Actions (edit, regenerate) and the composer depend on the whole list: re-render it.
    refreshList();
  }

  function close(id) {
    if (sources[id]) { sources[id].close(); delete sources[id]; }
  }

  function open(el) {
    var id = el.id;
    var text = el.querySelector("[data-stream-text]");
    var status = el.querySelector("[data-stream-status]");
    var source = new EventSource(streamUrl(el));
    sources[id] = source;
    source.addEventListener("delta", function (event) {
      var data = JSON.parse(event.data);
      text.textContent += data.text;
      if (event.lastEventId) { el.setAttribute("data-cursor", event.lastEventId); }
      if (status) { status.textContent = "Writing…"; }
      el.setAttribute("data-status", "streaming");
    });
    source.addEventListener("reset", function (event) {
      text.textContent = "";
      if (event.lastEventId) { el.setAttribute("data-cursor", event.lastEventId); }
    });
    source.addEventListener("done", function (event) {
      finish(el, id, JSON.parse(event.data));
    });
    source.addEventListener("error", function (event) {
      if (event.data) {  // the server's `error` event: the reply failed
        finish(el, id, JSON.parse(event.data));
        return;
      }
      // A network error. EventSource retries by itself (with Last-Event-ID) unless the server
      // answered with an error status; then open a fresh one from our cursor.
      if (source.readyState === EventSource.CLOSED) {
        delete sources[id];
        setTimeout(function () { if (el.isConnected && !sources[id]) { open(el); } }, RETRY_MS);
      }
    });
  }

  function scan() {
    document.querySelectorAll("[data-stream-url]").forEach(function (el) {
      if (!sources[el.id]) { open(el); }
    });
    Object.keys(sources).forEach(function (id) {
      var el = document.getElementById(id);
      if (!el || !el.hasAttribute("data-stream-url")) { close(id); }
    });
    updateComposer();
  }

  function updateComposer() {
    var form = document.querySelector("[data-composer]");
    if (!form) { return; }
    var text = form.querySelector("[data-composer-text]");
    var send = form.querySelector("[data-composer-send]");
    var streaming = document.querySelector("#message-list [data-stream-url]") !== null;
    send.disabled = streaming || !text.value.trim();
    form.toggleAttribute("data-streaming", streaming);
  }

  document.addEventListener("input", function (event) {
    if (event.target.closest("[data-composer]")) { updateComposer(); }
  });
  document.addEventListener("keydown", function (event) {
    var text = event.target.closest("[data-composer-text]");
    if (text && event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      var send = text.form.querySelector("[data-composer-send]");
      if (!send.disabled) { text.form.requestSubmit(); }
    }
  });
  document.addEventListener("submit", function (event) {
    // A blank message or a running reply: nothing to send (the server refuses it too).
    var form = event.target.closest("[data-composer]");
    if (form && form.querySelector("[data-composer-send]").disabled) { event.preventDefault(); }
  }, true);
  document.body.addEventListener("chat:sent", function () {
    var text = document.querySelector("[data-composer-text]");
    if (text) { text.value = ""; }
    updateComposer();
  });
  document.addEventListener("DOMContentLoaded", scan);
  document.addEventListener("htmx:load", scan);
  document.addEventListener("htmx:afterSettle", scan);
  window.addEventListener("pagehide", function () {
    Object.keys(sources).forEach(close);
  });
  if (document.readyState !== "loading") { scan(); }
})();
