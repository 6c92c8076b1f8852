// Pending generations refresh the page once they finish, so results appear without a manual reload.
(function () {
  "use strict";
  var POLL_MS = 1500;

  function pendingIds() {
    var nodes = document.querySelectorAll("[data-generation-id][data-status='queued'], [data-generation-id][data-status='running']");
    return Array.prototype.map.call(nodes, function (node) { return node.getAttribute("data-generation-id"); });
  }

  function poll() {
    var ids = pendingIds();
    if (!ids.length) { return; }
    fetch("/generations/status.json?ids=" + ids.join(","), { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (body) {
        if (!body) { return; }
        var finished = body.generations.some(function (g) { return g.status !== "queued" && g.status !== "running"; });
        if (finished) { window.location.reload(); } else { window.setTimeout(poll, POLL_MS); }
      })
      .catch(function () { window.setTimeout(poll, POLL_MS * 4); });
  }

  document.addEventListener("DOMContentLoaded", function () { window.setTimeout(poll, POLL_MS); });
})();
