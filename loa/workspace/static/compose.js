// The composer's improvements on top of a page that works without them:
// - a picture or video is uploaded as soon as it is chosen, with a progress bar (the body is the
//   file itself; the server streams it to disk and answers the name to refer to it by), so that
//   checking and saving never send it again;
// - the check and the preview follow the typing (the same check as "Check and preview", asked of
//   /posts/check a moment after the last key, its answer shown in place).
// The words shown come from the page (data-* attributes), in the officer's language.
(function () {
  "use strict";
  var form = document.getElementById("composer");
  var meta = document.querySelector('meta[name="csrf-token"]');
  if (!form || !meta || !window.fetch || !window.FormData) return;
  var file = document.getElementById("media");
  var bar = document.getElementById("upload-progress");
  var said = document.getElementById("upload-state");
  var checked = document.getElementById("checked");
  var save = form.querySelector('button[value="save"]');
  var timer = null, asked = 0;

  function check() {
    var body = new FormData(form);
    body.delete("media");
    body.delete("action");
    var mine = ++asked;
    fetch(form.dataset.check, { method: "POST", body: body, credentials: "same-origin",
                                headers: { "X-CSRFToken": meta.content } })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) { if (html !== null && mine === asked) checked.innerHTML = html; })
      .catch(function () { /* offline for a moment: the buttons still work */ });
  }

  function later() {
    clearTimeout(timer);
    timer = setTimeout(check, 700);
  }

  form.addEventListener("input", function (ev) { if (ev.target !== file) later(); });
  form.addEventListener("change", function (ev) { if (ev.target !== file) later(); });

  file.addEventListener("change", function () {
    var chosen = file.files && file.files[0];
    if (!chosen) return;
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.dataset.upload + "?name=" + encodeURIComponent(chosen.name));
    xhr.setRequestHeader("X-CSRFToken", meta.content);
    xhr.setRequestHeader("Content-Type", "application/octet-stream");
    bar.hidden = false;
    bar.value = 0;
    save.disabled = true;
    said.textContent = form.dataset.uploading;
    xhr.upload.onprogress = function (ev) {
      if (ev.lengthComputable) {
        bar.value = Math.round(100 * ev.loaded / ev.total);
        said.textContent = form.dataset.uploading + " " + bar.value + "%";
      }
    };
    xhr.onload = function () {
      save.disabled = false;
      var answer = null;
      try { answer = JSON.parse(xhr.responseText); } catch (e) { answer = null; }
      if (xhr.status === 200 && answer && answer.upload) {
        form.elements.upload.value = answer.upload;
        file.value = "";  // kept on the server: the form need not send it again
        bar.value = 100;
        said.textContent = form.dataset.uploaded + " " + chosen.name;
        check();
      } else {
        bar.hidden = true;
        said.textContent = (answer && answer.error) || form.dataset.failed;
      }
    };
    xhr.onerror = function () {
      save.disabled = false;
      bar.hidden = true;
      said.textContent = form.dataset.failed;
    };
    xhr.send(chosen);
  });
})();
