// Jobs still running (a render, an import) show their progress live, asked of /jobs/ID.json every
// second; the page reloads when one ends, to show what it made or the reason it failed. Without
// this script the page's Refresh link does the same.
(function () {
  "use strict";
  var watched = document.querySelectorAll('.job[data-state="queued"], .job[data-state="running"]');
  if (!watched.length || !window.fetch) return;
  function poll() {
    var pending = 0;
    watched.forEach(function (el) {
      if (el.dataset.state !== "queued" && el.dataset.state !== "running") return;
      pending++;
      fetch("/jobs/" + el.dataset.job + ".json", { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (j) {
          if (!j) return;
          var bar = el.querySelector("progress"), pct = el.querySelector(".pct");
          if (bar) bar.value = j.percent;
          if (pct) pct.textContent = j.percent + "%";
          el.querySelector(".jstate").textContent = j.state_label;
          if (j.state !== el.dataset.state && j.state !== "queued" && j.state !== "running") {
            window.location.reload();
          }
          el.dataset.state = j.state;
        })
        .catch(function () { /* a moment offline: the next poll tries again */ });
    });
    if (pending) setTimeout(poll, 1000);
  }
  setTimeout(poll, 1000);
})();
