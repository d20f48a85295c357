// consult: small progressive enhancements. Every page works without this file.
(function () {
  "use strict";

  // Session timeout warning (SPEC §6): shown before the idle timeout, with a way to continue.
  function sessionWarning() {
    var body = document.body;
    var left = parseInt(body.getAttribute("data-session-seconds-left"), 10);
    var warnBefore = parseInt(body.getAttribute("data-session-warn-seconds"), 10);
    var box = document.getElementById("session-warning");
    if (isNaN(left) || isNaN(warnBefore) || !box) { return; }
    var warnTimer = null;
    var endTimer = null;

    function schedule(secondsLeft) {
      clearTimeout(warnTimer);
      clearTimeout(endTimer);
      box.hidden = true;
      warnTimer = setTimeout(show, Math.max(0, secondsLeft - warnBefore) * 1000);
      endTimer = setTimeout(ended, (secondsLeft + 1) * 1000);  // the server counts whole seconds
    }
    function show() {
      box.hidden = false;
      var button = box.querySelector("button");
      if (button) { button.focus(); }
    }
    function ended() {
      var text = document.getElementById("session-warning-text");
      text.textContent = text.getAttribute("data-ended-text");
      box.querySelector("form").hidden = true;
      box.querySelector(".session-warning__login").hidden = false;
      box.hidden = false;
    }
    // Any successful request to the server restarts the idle clock.
    document.body.addEventListener("htmx:afterRequest", function (event) {
      if (event.detail.successful) { schedule(left); }
    });
    schedule(left);
  }

  // Autosave of the pre-form and of meeting notes (SPEC §4): when a save fails, say so
  // in the form's status line (its id is the form's data-status); what was typed stays
  // in the form, and the save button still works as a plain POST.
  function autosaveProblems() {
    function report(event, attribute) {
      var form = event.detail.elt;
      if (!form || !form.classList || !form.classList.contains("autosave")) { return; }
      var status = document.getElementById(form.getAttribute("data-status"));
      if (status) { status.textContent = status.getAttribute(attribute); }
    }
    document.body.addEventListener("htmx:sendError", function (event) {
      report(event, "data-network-text");
    });
    document.body.addEventListener("htmx:responseError", function (event) {
      // 401: logged out; 400: the page's CSRF token went with the ended session.
      var status = event.detail.xhr ? event.detail.xhr.status : 0;
      var expired = status === 401 || status === 400;
      report(event, expired ? "data-session-text" : "data-network-text");
    });
  }

  // Leaving the page (the next case, say) within the autosave's pause after typing:
  // what was typed since the last save goes to the server as the page goes away, and
  // before another form of the page is submitted.
  function autosaveOnLeave() {
    var edits = new WeakMap();  // form → edits not yet in a successful save
    document.body.addEventListener("input", function (event) {
      var form = event.target.form;
      if (form && form.classList.contains("autosave")) { edits.set(form, (edits.get(form) || 0) + 1); }
    });
    document.body.addEventListener("htmx:beforeRequest", function (event) {
      var form = event.detail.elt;
      if (form && form.classList && form.classList.contains("autosave")) {
        form.setAttribute("data-sending", String(edits.get(form) || 0));
      }
    });
    document.body.addEventListener("htmx:afterRequest", function (event) {
      var form = event.detail.elt;
      // Saved means a 2xx answer: a conflict (409) or a refusal is swapped in, not saved.
      var status = event.detail.xhr ? event.detail.xhr.status : 0;
      if (!form || !form.classList || !form.classList.contains("autosave") || status < 200 || status > 299) { return; }
      edits.set(form, (edits.get(form) || 0) - parseInt(form.getAttribute("data-sending") || "0", 10));
    });
    // Another form on the page is submitted (add a recommendation, finalise), or a
    // link followed (the next case), while notes wait for their autosave: save them
    // first, then go on; if the save fails (a conflict, the network, the session) stay,
    // with the status line saying why.
    function pendingForms() {
      return Array.prototype.filter.call(document.querySelectorAll("form.autosave"),
        function (form) { return edits.get(form) > 0; });
    }
    function saveThen(pending, next) {
      Promise.all(pending.map(function (form) {
        return window.htmx.ajax("POST", form.getAttribute("hx-post"), {
          source: form, target: "#" + form.getAttribute("data-status"), swap: "innerHTML"});
      })).then(function () {
        if (pending.every(function (form) { return !(edits.get(form) > 0); })) { next(); }
      }, function () {});
    }
    document.body.addEventListener("submit", function (event) {
      var target = event.target;
      if (target.classList.contains("autosave")) { edits.delete(target); return; }  // its own button
      var pending = pendingForms();
      if (!pending.length || !window.htmx) { return; }
      event.preventDefault();
      var submitter = event.submitter || null;
      saveThen(pending, function () { target.requestSubmit(submitter); });
    });
    document.body.addEventListener("click", function (event) {
      var link = event.target.closest ? event.target.closest("a[href]") : null;
      if (!link || link.target || link.hasAttribute("download") || event.defaultPrevented
          || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey
          || link.origin !== window.location.origin) { return; }
      var pending = pendingForms();
      if (!pending.length || !window.htmx) { return; }
      event.preventDefault();
      saveThen(pending, function () { window.location.assign(link.href); });
    });
    // Any other way out (closing the tab, the browser's back button): send what is
    // left as the page goes.
    window.addEventListener("pagehide", function () {
      Array.prototype.forEach.call(document.querySelectorAll("form.autosave"), function (form) {
        if (!(edits.get(form) > 0)) { return; }
        edits.delete(form);
        window.fetch(form.getAttribute("hx-post"), {
          method: "POST", body: new window.FormData(form), keepalive: true, credentials: "same-origin",
          headers: {"HX-Request": "true"}
        });
      });
    });
  }

  // Agenda reordering by drag and drop (SPEC §4 flow 3). The Move up / Move down buttons
  // work without this; here a handle appears on each case: drag it with the mouse, or
  // focus it and use the arrow keys. The new order goes to the server as one POST.
  function agendaReorder() {
    function sendOrder(list, focusId) {
      var ids = Array.prototype.map.call(list.querySelectorAll(".agenda-item"), function (li) {
        return li.getAttribute("data-item-id");
      });
      window.htmx.ajax("POST", list.getAttribute("data-reorder-url"), {
        source: list, target: "#agenda", swap: "outerHTML",
        values: {item_ids: ids, version: list.getAttribute("data-version")}
      }).then(function () {
        var again = focusId && document.querySelector(
          '.agenda-item[data-item-id="' + focusId + '"] .drag-handle');
        if (again) { again.focus(); }
      });
    }
    function setUp(root) {
      var list = root.querySelector ? root.querySelector("ol.agenda[data-reorder-url]") : null;
      if (!list || !window.htmx || list.getAttribute("data-ready")) { return; }
      list.setAttribute("data-ready", "true");
      var dragged = null;
      Array.prototype.forEach.call(list.querySelectorAll(".agenda-item"), function (li) {
        var handle = li.querySelector(".drag-handle");
        if (!handle) { return; }
        handle.hidden = false;
        li.setAttribute("draggable", "true");
        li.addEventListener("dragstart", function (event) {
          dragged = li;
          li.classList.add("agenda-item--dragging");
          event.dataTransfer.effectAllowed = "move";
          event.dataTransfer.setData("text/plain", li.getAttribute("data-item-id"));
        });
        li.addEventListener("dragend", function () { li.classList.remove("agenda-item--dragging"); });
        li.addEventListener("dragover", function (event) {
          if (!dragged || dragged === li) { return; }
          event.preventDefault();
          var box = li.getBoundingClientRect();
          var after = event.clientY > box.top + box.height / 2;
          list.insertBefore(dragged, after ? li.nextSibling : li);
        });
        li.addEventListener("drop", function (event) {
          event.preventDefault();
          if (dragged) { sendOrder(list, null); }
          dragged = null;
        });
        handle.addEventListener("keydown", function (event) {
          var other = null;
          if (event.key === "ArrowUp") { other = li.previousElementSibling; }
          if (event.key === "ArrowDown") { other = li.nextElementSibling; }
          if (!other) { return; }
          event.preventDefault();
          list.insertBefore(li, event.key === "ArrowUp" ? other : other.nextSibling);
          sendOrder(list, li.getAttribute("data-item-id"));
        });
      });
    }
    setUp(document);
    // After htmx swaps the agenda: set the handles up again, and keep the keyboard
    // focus on the button that was pressed (its id survives the swap).
    var focused = null;
    document.body.addEventListener("htmx:beforeRequest", function () {
      focused = document.activeElement ? document.activeElement.id : null;
    });
    document.body.addEventListener("htmx:afterSettle", function (event) {
      setUp(document);
      if (focused && event.detail.target && event.detail.target.id === "agenda") {
        var again = document.getElementById(focused);
        if (again) { again.focus(); }
      }
    });
  }

  // The run view's timer against the case's time box (SPEC §4 flow 5). It keeps going
  // across page loads of the same case (sessionStorage), so moving between cases and
  // back loses nothing. Without JavaScript the time box is still shown as text.
  function caseTimer() {
    var box = document.querySelector(".timer[data-key]");
    if (!box) { return; }
    var key = box.getAttribute("data-key");
    var limit = parseInt(box.getAttribute("data-minutes"), 10) * 60;
    var clock = box.querySelector(".timer__clock");
    var toggle = box.querySelector(".timer__toggle");
    var over = box.querySelector(".timer__over");
    var state = JSON.parse(window.sessionStorage.getItem(key) || '{"used":0,"since":null}');
    var ticker = null;

    function seconds() {
      return state.used + (state.since ? Math.floor((Date.now() - state.since) / 1000) : 0);
    }
    function show() {
      var used = seconds();
      clock.textContent = Math.floor(used / 60) + ":" + ("0" + (used % 60)).slice(-2);
      var isOver = used > limit;
      box.classList.toggle("timer--over", isOver);
      var text = isOver ? box.getAttribute("data-over-text") : "";
      if (over.textContent !== text) { over.textContent = text; }
      toggle.querySelector(".hds-button__label").textContent =
        box.getAttribute(state.since ? "data-pause-text" : "data-start-text");
    }
    function save() { window.sessionStorage.setItem(key, JSON.stringify(state)); }
    function run() {
      clearInterval(ticker);
      ticker = state.since ? setInterval(show, 1000) : null;
      show();
    }
    toggle.addEventListener("click", function () {
      if (state.since) { state.used = seconds(); state.since = null; } else { state.since = Date.now(); }
      save();
      run();
    });
    box.querySelector(".timer__reset").addEventListener("click", function () {
      state = {used: 0, since: null};
      save();
      run();
    });
    box.hidden = false;
    run();
  }

  document.addEventListener("DOMContentLoaded", sessionWarning);
  document.addEventListener("DOMContentLoaded", caseTimer);
  document.addEventListener("DOMContentLoaded", autosaveOnLeave);
  document.addEventListener("DOMContentLoaded", autosaveProblems);
  document.addEventListener("DOMContentLoaded", agendaReorder);
})();
