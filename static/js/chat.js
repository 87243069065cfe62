// Keel chat: follows each streaming reply over SSE, keeps the composer honest, follows the newest
// text, copies replies and code, and the chat's keyboard shortcuts.
// Every element with data-stream-url gets one EventSource. The cursor of the last event seen is
// kept on the element (data-cursor) and sent as ?after= when a new EventSource has to be opened
// (htmx swaps, a closed connection): the server then sends exactly what came after it, so text
// is never duplicated or lost. The browser's own reconnect sends Last-Event-ID, which the server
// prefers. No inline script anywhere: the CSP forbids it.
(function () {
  "use strict";
  var sources = {};
  var RETRY_MS = 1000;
  // Within this many pixels of the bottom the page counts as "at the latest".
  var NEAR_BOTTOM_PX = 80;
  var following = true;
  var HINT_STREAMING = "A reply is being written — press Stop or wait";
  var HINT_EMPTY = "Type a message";

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

  // --- Following the newest text -------------------------------------------------------------
  function distanceFromBottom() {
    var doc = document.documentElement;
    return doc.scrollHeight - window.innerHeight - window.scrollY;
  }

  function toLatest() {
    window.scrollTo(0, document.documentElement.scrollHeight);
    following = true;
    updateJump();
  }

  function keepUp() {
    if (following && document.querySelector("[data-composer]")) { toLatest(); }
  }

  function updateJump() {
    var jump = document.querySelector("[data-jump-latest]");
    if (jump) { jump.hidden = following || distanceFromBottom() <= NEAR_BOTTOM_PX; }
  }

  window.addEventListener("scroll", function () {
    // Programmatic scrolls land at the bottom, so only the person scrolling up stops following.
    following = distanceFromBottom() <= NEAR_BOTTOM_PX;
    updateJump();
  }, { passive: true });
  window.addEventListener("wheel", function (event) {
    // Scrolling up says "stop following" at once, before a delta can pull the page back down.
    if (event.deltaY < 0) { following = false; }
  }, { passive: true });

  // --- Streams -----------------------------------------------------------------------------
  function finish(el, id, data) {
    close(id);
    if (data && data.html) {
      var holder = document.createElement("div");
      holder.innerHTML = data.html;  // server-rendered and sanitised
      var fresh = holder.firstElementChild;
      if (fresh && el.isConnected) {
        el.replaceWith(fresh);
        if (window.htmx) { window.htmx.process(fresh); }
        armCode(fresh);
      }
    }
    updateComposer();
    keepUp();
    // Actions (edit, regenerate) and the composer depend on the whole list: re-render it.
    refreshList();
  }

  // A `tool` event: the step's line, new (appended) or changed (replaced, staying open if the
  // person opened it). Steps are matched by their call id, so a repeated event changes nothing.
  function upsertStep(el, data) {
    var list = el.querySelector("[data-tool-steps]");
    if (!list || !data.html) { return; }
    var holder = document.createElement("ol");
    holder.innerHTML = data.html;  // server-rendered, escaped
    var fresh = holder.firstElementChild;
    if (!fresh) { return; }
    var id = fresh.getAttribute("data-tool-step");
    var old = Array.prototype.find.call(list.children, function (li) {
      return li.getAttribute("data-tool-step") === id;
    });
    if (old) {
      var wasOpen = old.querySelector("details[open]");
      var details = fresh.querySelector("details");
      if (wasOpen && details) { details.open = true; }
      old.replaceWith(fresh);
    } else {
      list.appendChild(fresh);
    }
    list.hidden = false;
  }

  function clearSteps(el) {
    var list = el.querySelector("[data-tool-steps]");
    if (list) { list.replaceChildren(); list.hidden = true; }
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
      keepUp();
    });
    source.addEventListener("tool", function (event) {
      var data = JSON.parse(event.data);
      upsertStep(el, data);
      if (event.lastEventId) { el.setAttribute("data-cursor", event.lastEventId); }
      if (status && data.step && data.step.status === "running") {
        status.textContent = "Using a tool (" + (data.step.label || data.step.name) + ")…";
      }
      keepUp();
    });
    source.addEventListener("reset", function (event) {
      text.textContent = "";
      clearSteps(el);
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
    armCode(document);
    updateComposer();
  }

  // --- The composer: Send or Stop, and why a send is not possible ---------------------------
  function streamingReply() {
    return document.querySelector("#message-list [data-stream-url]");
  }

  function updateComposer() {
    var form = document.querySelector("[data-composer]");
    if (!form) { return; }
    var text = form.querySelector("[data-composer-text]");
    var send = form.querySelector("[data-composer-send]");
    var stop = form.querySelector("[data-stop]");
    var hint = form.querySelector("[data-composer-hint]");
    var reply = streamingReply();
    var empty = !text.value.trim();
    send.disabled = !!reply || empty;
    send.hidden = !!reply;
    stop.hidden = !reply;
    if (reply) { stop.setAttribute("formaction", reply.getAttribute("data-stop-url")); }
    hint.textContent = reply ? HINT_STREAMING : (empty ? HINT_EMPTY : "");
    if (!reply && !empty) { hint.removeAttribute("data-flash"); }
    form.toggleAttribute("data-streaming", !!reply);
  }

  function flashHint(form) {
    var hint = form.querySelector("[data-composer-hint]");
    hint.removeAttribute("data-flash");
    void hint.offsetWidth;  // restart the highlight when it is asked for again
    hint.setAttribute("data-flash", "");
  }

  function stopReply() {
    var stop = document.querySelector("[data-composer] [data-stop]");
    var url = stop && !stop.hidden && stop.getAttribute("formaction");
    if (!url || !window.htmx) { return false; }
    window.htmx.ajax("POST", url, { source: stop, swap: "none" });
    stop.disabled = true;
    setTimeout(function () { stop.disabled = false; }, RETRY_MS);
    return true;
  }

  // --- Copy buttons ---------------------------------------------------------------------------
  function armCode(scope) {
    // Each highlighted or plain code block of a finished reply gets its own Copy button.
    scope.querySelectorAll("[data-message-text] pre").forEach(function (pre) {
      if (pre.parentElement.classList.contains("code-block")) { return; }
      var code = pre.querySelector("code");
      var language = code && /language-(\S+)/.exec(code.className);
      var block = document.createElement("div");
      block.className = "code-block";
      var bar = document.createElement("div");
      bar.className = "code-bar";
      var label = document.createElement("span");
      label.textContent = language ? language[1] : "code";
      var button = document.createElement("button");
      button.type = "button";
      button.className = "btn btn-small btn-ghost";
      button.setAttribute("data-copy-code", "");
      button.setAttribute("aria-label", "Copy the " + label.textContent + " code");
      button.textContent = "Copy";
      bar.append(label, button);
      pre.replaceWith(block);
      block.append(bar, pre);
    });
  }

  function copy(button, text) {
    var label = button.getAttribute("data-label") || button.textContent;
    button.setAttribute("data-label", label);
    function say(word, copied) {
      button.textContent = word;
      button.toggleAttribute("data-copied", copied);
      setTimeout(function () { button.textContent = label; button.removeAttribute("data-copied"); }, 1500);
    }
    // The clipboard API exists only on secure origins (https, localhost): say so elsewhere.
    if (!navigator.clipboard) { say("Copy unavailable", false); return; }
    navigator.clipboard.writeText(text).then(function () { say("Copied", true); }, function () { say("Copy failed", false); });
  }

  // --- Drawer, menus, shortcuts -------------------------------------------------------------
  function setDrawer(open) {
    var drawer = document.querySelector("[data-chat-drawer]");
    var toggle = document.querySelector("[data-chat-drawer-toggle]");
    if (!drawer || !toggle) { return; }
    drawer.classList.toggle("is-open", open);
    toggle.setAttribute("aria-expanded", open ? "true" : "false");
    if (open) { drawer.querySelector("a, input").focus(); } else if (document.activeElement && drawer.contains(document.activeElement)) { toggle.focus(); }
  }

  function focusComposer() {
    var text = document.querySelector("[data-composer-text]");
    if (text) { text.focus(); }
  }

  function typing(target) {
    return target.closest && target.closest("input, textarea, select, [contenteditable]");
  }

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (target.closest("[data-stop]") && target.closest("[data-composer]")) {
      if (stopReply()) { event.preventDefault(); }
      return;
    }
    var copyButton = target.closest("[data-copy]");
    if (copyButton) { copy(copyButton, copyButton.getAttribute("data-copy")); return; }
    var codeButton = target.closest("[data-copy-code]");
    if (codeButton) { copy(codeButton, codeButton.closest(".code-block").querySelector("pre").textContent); return; }
    if (target.closest("[data-jump-latest]")) { toLatest(); return; }
    if (target.closest("[data-edit-cancel]")) { target.closest("details").open = false; return; }
    if (target.closest("[data-chat-drawer-toggle]")) {
      event.preventDefault();
      setDrawer(!document.querySelector("[data-chat-drawer]").classList.contains("is-open"));
      return;
    }
    if (target.closest("[data-chat-drawer-close]")) { event.preventDefault(); setDrawer(false); return; }
    // A tap beside the open drawer closes it, as on any phone app.
    var drawer = document.querySelector("[data-chat-drawer].is-open");
    if (drawer && !drawer.contains(target)) { setDrawer(false); }
  });

  document.addEventListener("input", function (event) {
    if (event.target.closest("[data-composer]")) { updateComposer(); }
  });

  document.addEventListener("keydown", function (event) {
    if (!document.querySelector("[data-composer]")) { return; }
    var key = event.key;
    var text = event.target.closest && event.target.closest("[data-composer-text]");
    if (text && key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      var send = text.form.querySelector("[data-composer-send]");
      if (!send.disabled) { text.form.requestSubmit(send); } else { flashHint(text.form); }
      return;
    }
    if ((event.ctrlKey || event.metaKey) && event.shiftKey && key.toLowerCase() === "o") {
      event.preventDefault();
      document.querySelector("[data-new-chat]").click();
      return;
    }
    if (key === "Escape" && event.shiftKey) { event.preventDefault(); focusComposer(); return; }
    if (key === "Escape") {
      var drawer = document.querySelector("[data-chat-drawer].is-open");
      if (drawer) { setDrawer(false); return; }
      var menu = document.querySelector("[data-chat-menu][open], [data-chat-shortcuts][open]");
      if (menu) { menu.open = false; menu.querySelector("summary").focus(); return; }
      if (streamingReply()) { stopReply(); }
      return;
    }
    if (typing(event.target) || event.ctrlKey || event.metaKey || event.altKey) { return; }
    if (key === "/") { event.preventDefault(); focusComposer(); return; }
    if (key === "?") {
      var shortcuts = document.querySelector("[data-chat-shortcuts]");
      if (shortcuts) { shortcuts.open = !shortcuts.open; shortcuts.querySelector("summary").focus(); }
    }
  });

  document.addEventListener("submit", function (event) {
    // A blank message or a running reply: nothing to send (the server refuses it too).
    var form = event.target.closest("[data-composer]");
    var submitter = event.submitter;
    if (form && !(submitter && submitter.hasAttribute("data-stop")) && form.querySelector("[data-composer-send]").disabled) {
      event.preventDefault();
      flashHint(form);
    }
  }, true);
  document.body.addEventListener("chat:sent", function () {
    var text = document.querySelector("[data-composer-text]");
    following = true;
    if (!text) { return; }
    text.value = "";
    // As if typed: the character counter (app.js) and the composer's state follow.
    text.dispatchEvent(new Event("input", { bubbles: true }));
  });
  document.addEventListener("DOMContentLoaded", function () { scan(); keepUp(); });
  document.addEventListener("htmx:load", scan);
  document.addEventListener("htmx:afterSettle", function (event) {
    // A boosted navigation (the whole body swapped) opens a conversation at its latest turn.
    if (event.detail && event.detail.elt === document.body) { following = true; }
    scan();
    keepUp();
  });
  window.addEventListener("pagehide", function () {
    Object.keys(sources).forEach(close);
  });
  if (document.readyState !== "loading") { scan(); keepUp(); }
})();
