// cargohold dashboard: live job progress, select-all, periodic refresh of the overview.
// Loaded from the package (Content-Security-Policy: script-src 'self'); no inline script.
"use strict";

(function () {
  var TERMINAL = ["succeeded", "failed", "cancelled"];

  function followJob(live) {
    if (!window.EventSource) { return; }
    var source = new EventSource(live.dataset.stream);
    var bar = document.getElementById("progress");
    var text = document.getElementById("progress-text");
    var state = document.getElementById("state");
    source.addEventListener("status", function (event) {
      var status = JSON.parse(event.data);
      state.textContent = status.state;
      state.className = "state state-" + status.state;
      if (status.progress && bar) {
        var p = status.progress;
        if (p.total) { bar.max = p.total; bar.value = p.current; }
        if (text) { text.textContent = p.message || String(p.current); }
      }
      if (TERMINAL.indexOf(status.state) >= 0) {
        source.close();
        if (status.state !== live.dataset.state) { window.location.reload(); }
      }
    });
    source.addEventListener("gone", function () { source.close(); });
  }

  function selectAll(box) {
    box.addEventListener("change", function () {
      var boxes = document.querySelectorAll("input[name=ids]");
      for (var i = 0; i < boxes.length; i++) { boxes[i].checked = box.checked; }
    });
  }

  function refreshEvery(seconds) {
    window.setTimeout(function () {
      if (document.visibilityState === "visible") { window.location.reload(); }
      else { refreshEvery(seconds); }
    }, seconds * 1000);
  }

  document.addEventListener("DOMContentLoaded", function () {
    var live = document.getElementById("live");
    if (live) { followJob(live); }
    var box = document.getElementById("select-all");
    if (box) { selectAll(box); }
    var refresh = Number(document.body.dataset.refresh || 0);
    if (refresh > 0) { refreshEvery(refresh); }
  });
})();
