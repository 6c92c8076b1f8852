// Keyboard shortcuts of the moderation queue and case pages. j / k: the next or previous case
// (on the queue, the case the keys act on; on a case page, the next or previous case's page).
// d / h / r / s / u: choose that action in the case's form and move to its reason; Enter in the
// reason applies the action, Shift+Enter starts a new line.
(function () {
  "use strict";

  var ACTIONS = { d: "dismiss", h: "hide", r: "restore", s: "strike", u: "suspend" };

  function onReady(fn) {
    if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); }
  }

  // Letters typed into a field are text, not shortcuts (a radio button or a checkbox is not one).
  function isTyping(target) {
    if (!target) { return false; }
    if (target.tagName === "INPUT") { return !/^(radio|checkbox|button|submit|reset)$/.test(target.type); }
    return /^(TEXTAREA|SELECT)$/.test(target.tagName) || target.isContentEditable;
  }

  onReady(function () {
    var cases = Array.prototype.slice.call(document.querySelectorAll("[data-case]"));
    var nav = document.querySelector("[data-case-nav]");
    if (!cases.length) { return; }
    var current = cases.length === 1 ? 0 : -1;

    function choose(index) {
      if (index < 0 || index >= cases.length) { return; }
      if (current >= 0) { cases[current].classList.remove("current"); }
      current = index;
      cases[current].classList.add("current");
      cases[current].focus({ preventScroll: true });
      cases[current].scrollIntoView({ block: "nearest" });
    }

    function move(step) {
      var url = nav && nav.getAttribute(step > 0 ? "data-next" : "data-prev");
      if (url) { window.location.assign(url); return; }
      if (!nav) { choose(current < 0 ? 0 : current + step); }
    }

    function pick(action) {
      var index = current < 0 ? 0 : current;
      var form = cases[index].querySelector("[data-action-form]");
      var radio = form && form.querySelector("input[name=action][value=" + action + "]");
      if (!radio) { return false; }
      if (index !== current) { choose(index); }
      radio.checked = true;
      var reason = form.querySelector("textarea[name=reason]");
      if (reason) { reason.focus(); }
      return true;
    }

    document.addEventListener("keydown", function (event) {
      if (event.altKey || event.ctrlKey || event.metaKey || isTyping(event.target)) { return; }
      var key = event.key;
      if (key === "j" || key === "k") {
        event.preventDefault();
        move(key === "j" ? 1 : -1);
      } else if (ACTIONS[key] && pick(ACTIONS[key])) {
        // Otherwise the letter would be typed into the reason that now has the focus.
        event.preventDefault();
      }
    });

    // Enter in a reason applies the action (the browser checks that one is chosen).
    cases.forEach(function (box) {
      var form = box.querySelector("[data-action-form]");
      var reason = form && form.querySelector("textarea[name=reason]");
      if (!reason) { return; }
      reason.addEventListener("keydown", function (event) {
        if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
          event.preventDefault();
          if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
        }
      });
    });
  });
})();
