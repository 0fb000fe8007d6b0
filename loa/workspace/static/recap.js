// The recap page's strip, improved on top of a page that works without it: drag a clip to another
// place (its hidden input and seconds move with it: the form sends the new order), numbered again
// at once. Without this script the arrows do the same through the server.
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
})();
