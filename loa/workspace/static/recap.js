// The recap page's improvements on top of a page that works without them:
// - drag a clip of the strip to another place (its hidden input and seconds move with it: the
//   form sends the new order), numbered again at once;
// - each render still running shows its progress live (asked of /jobs/ID.json every second); the
//   page reloads when one ends, to show the recap made or the reason it failed.
(function () {
  "use strict";
  var strip = document.getElementById("strip");
  var dragged = null;
  function renumber() {
    strip.querySelectorAll("li[data-clip] .order").forEach(function (el, i) { el.textContent = (i + 1) + "."; });
  }
  if (strip) {
    strip.querySelectorAll("li[data-clip]").forEach(function (li) {
      li.addEventListener("dragstart", function (ev) {
        dragged = li;
        li.classList.add("dragging");
        ev.dataTransfer.setData("text/plain", li.dataset.clip);
        ev.dataTransfer.effectAllowed = "move";
      });
      li.addEventListener("dragend", function () { li.classList.remove("dragging"); dragged = null; });
      li.addEventListener("dragover", function (ev) { ev.preventDefault(); li.classList.add("over"); });
      li.addEventListener("dragleave", function () { li.classList.remove("over"); });
      li.addEventListener("drop", function (ev) {
        ev.preventDefault();
        li.classList.remove("over");
        if (!dragged || dragged === li) return;
        var items = Array.prototype.slice.call(strip.children);
        if (items.indexOf(dragged) < items.indexOf(li)) li.after(dragged); else li.before(dragged);
        renumber();
      });
    });
  }
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
