// The calendar's drag to reschedule: an improvement on top of the page, which works without it
// (each post links to its page, where the time can be changed). A post dropped on another day
// keeps its time of day; the server checks the move with the same rules as `loa post reschedule`
// and the page reloads with what it said (done, or refused with the reason).
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="csrf-token"]');
  if (!meta) return;
  var dragged = null;
  document.querySelectorAll(".chip[draggable=true]").forEach(function (chip) {
    chip.addEventListener("dragstart", function (ev) {
      dragged = chip;
      ev.dataTransfer.setData("text/plain", chip.dataset.post);
      ev.dataTransfer.effectAllowed = "move";
    });
  });
  document.querySelectorAll(".cell[data-date]").forEach(function (cell) {
    cell.addEventListener("dragover", function (ev) { ev.preventDefault(); cell.classList.add("over"); });
    cell.addEventListener("dragleave", function () { cell.classList.remove("over"); });
    cell.addEventListener("drop", function (ev) {
      ev.preventDefault();
      cell.classList.remove("over");
      if (!dragged) return;
      var body = new URLSearchParams();
      body.set("csrf_token", meta.content);
      body.set("at", cell.dataset.date + "T" + dragged.dataset.time);
      // redirect "manual": the answer is a redirect to the post; the page reloaded shows its message
      fetch("/posts/" + dragged.dataset.post + "/reschedule", { method: "POST", body: body, credentials: "same-origin",
                                                               redirect: "manual" })
        .then(function () { window.location.reload(); });
    });
  });
})();
