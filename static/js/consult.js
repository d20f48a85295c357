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

  // Autosave of the pre-form (SPEC §4): when a save fails, say so in the status line;
  // what was typed stays in the form, and "Save draft" still works as a plain POST.
  function autosaveProblems() {
    function report(event, attribute) {
      var form = event.detail.elt;
      var status = document.getElementById("autosave-status");
      if (!status || !form || !form.classList || !form.classList.contains("preform")) { return; }
      status.textContent = status.getAttribute(attribute);
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

  document.addEventListener("DOMContentLoaded", sessionWarning);
  document.addEventListener("DOMContentLoaded", autosaveProblems);
})();
