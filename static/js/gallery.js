// The gallery's own small behaviours: selection with shift-click ranges, keyboard paging on an
// image's page, and the filters' panel. Pending generations (cards and pages) refresh via htmx.
(function () {
  "use strict";

  function onReady(fn) {
    if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); }
  }

  // -- Selection -------------------------------------------------------------------------------
  function setUpSelection() {
    var grid = document.querySelector("[data-selectable]");
    var count = document.querySelector("[data-selected-count]");
    var all = document.querySelector("[data-select-all]");
    if (!grid) { return; }
    var last = null;

    function boxes() { return Array.prototype.slice.call(grid.querySelectorAll("input[name=ids]")); }

    function refresh() {
      var list = boxes();
      var selected = list.filter(function (box) { return box.checked; });
      list.forEach(function (box) {
        var tile = box.closest(".tile");
        if (tile) { tile.classList.toggle("selected", box.checked); }
      });
      if (count) { count.textContent = selected.length + " selected"; }
      if (all) {
        all.checked = list.length > 0 && selected.length === list.length;
        all.indeterminate = selected.length > 0 && selected.length < list.length;
      }
    }

    grid.addEventListener("click", function (event) {
      var box = event.target;
      if (!(box instanceof HTMLInputElement) || box.name !== "ids") { return; }
      var list = boxes();
      if (event.shiftKey && last && last !== box) {
        var from = list.indexOf(last), to = list.indexOf(box);
        var low = Math.min(from, to), high = Math.max(from, to);
        for (var i = low; i <= high; i++) { list[i].checked = box.checked; }
      }
      last = box;
      refresh();
    });
    if (all) {
      all.addEventListener("change", function () {
        boxes().forEach(function (box) { box.checked = all.checked; });
        refresh();
      });
    }
    document.body.addEventListener("htmx:afterSwap", refresh);
    refresh();
  }

  // -- Keyboard paging on an image's page --------------------------------------------------
  function setUpKeyboardNav() {
    var nav = document.querySelector("[data-keyboard-nav]");
    if (!nav) { return; }
    document.addEventListener("keydown", function (event) {
      var target = event.target;
      if (event.altKey || event.ctrlKey || event.metaKey) { return; }
      if (target && /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName)) { return; }
      var where = { ArrowLeft: "prev", ArrowRight: "next", Escape: "back" }[event.key];
      var url = where && nav.getAttribute("data-" + where);
      if (url) { event.preventDefault(); window.location.assign(url); }
    });
  }

  // -- The secondary filters: beside the grid on a wide screen, folded away on a phone --------
  function setUpFilters() {
    var more = document.querySelector("details[data-open-wide]");
    if (more && window.matchMedia("(min-width: 901px)").matches) { more.open = true; }
  }

  onReady(function () {
    setUpFilters();
    setUpSelection();
    setUpKeyboardNav();
  });
})();
