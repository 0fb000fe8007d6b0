/* The upload page (loa/templates/portal.html): a resumable (tus) upload of a video, in the
   campaign's words. Its data come from the page's JSON block, #loa-data: no inline script runs. */
(function(){
"use strict";
var D = JSON.parse(document.getElementById("loa-data").textContent), C = D.C, T = D.T;
function fill(text, values){ return text.replace(/\{(\w+)\}/g, function(m, k){ return k in values ? values[k] : m; }); }
var CHUNK = 1024 * 1024, $ = function(id){ return document.getElementById(id); };
$("message").textContent = C.message; $("tags").textContent = C.hashtags;
$("minorHint").textContent = C.rule.minorHint; 
if ($("closed").textContent.trim()) { $("closed").hidden = false; $("f").hidden = true; }
var fields = ["name", "school", "class", "age", "display", "guardian"];
fields.forEach(function(k){ var v = localStorage.getItem("loa-form:" + k); if (v) $(k).value = v;
  $(k).addEventListener("input", function(){ localStorage.setItem("loa-form:" + k, $(k).value); }); });
function ageChanged(){ var a = parseInt($("age").value, 10), minor = a > 0 && a < C.guardianAge;
  $("minor").hidden = !minor; $("adult").hidden = minor;
  var full = $("display").querySelector('option[value="full"]'); full.disabled = minor;  // the server refuses it too
  if (minor && $("display").value === "full") $("display").value = "first"; }
$("age").addEventListener("input", ageChanged); ageChanged();
function say(text, kind){ var m = $("msg"); m.className = "msg " + kind; m.textContent = text; }
function b64(s){ return btoa(unescape(encodeURIComponent(s))); }
function req(method, url, headers, body, onprogress){
  return new Promise(function(resolve, reject){
    var x = new XMLHttpRequest(); x.open(method, url);
    Object.keys(headers).forEach(function(h){ x.setRequestHeader(h, headers[h]); });
    x.setRequestHeader("Tus-Resumable", "1.0.0");
    if (onprogress) x.upload.onprogress = onprogress;
    x.onload = function(){ resolve(x); }; x.onerror = function(){ reject(new Error("network")); };
    x.ontimeout = x.onerror; x.send(body || null); });
}
function errorOf(x){ try { return JSON.parse(x.responseText).error; } catch (e) { return fill(T.error, {status: x.status}); } }
async function send(file){
  var key = "loa-upload:" + file.name + ":" + file.size + ":" + file.lastModified;
  var url = localStorage.getItem(key), offset = 0;
  if (url) { var h = await req("HEAD", url, {}); if (h.status === 200) offset = parseInt(h.getResponseHeader("Upload-Offset"), 10);
             else url = null; }
  if (!url) {
    var meta = { filename: file.name, selfConfirmed: $("selfConfirmed").checked ? "yes" : "no",
                 guardianConfirmed: $("guardianConfirmed").checked ? "yes" : "no" };
    fields.forEach(function(k){ meta[k] = $(k).value.trim(); });
    var created = await req("POST", C.base, { "Upload-Length": String(file.size),
      "Upload-Metadata": Object.keys(meta).map(function(k){ return k + " " + b64(meta[k]); }).join(",") });
    if (created.status !== 201) throw new Error(errorOf(created));
    url = created.getResponseHeader("Location"); localStorage.setItem(key, url);
  }
  var tries = 0;
  while (offset < file.size) {
    var chunk = file.slice(offset, Math.min(offset + CHUNK, file.size)), start = offset;
    try {
      var x = await req("PATCH", url, { "Content-Type": "application/offset+octet-stream", "Upload-Offset": String(offset) },
        chunk, function(e){ progress(start + e.loaded, file.size); });
      if (x.status === 204) { offset = parseInt(x.getResponseHeader("Upload-Offset"), 10); tries = 0; progress(offset, file.size); continue; }
      if (x.status !== 409) throw new Error(errorOf(x));
    } catch (e) { if (e.message !== "network" || ++tries > 8) throw e;
      say(T.dropped, "info");
      await new Promise(function(r){ setTimeout(r, Math.min(1000 * tries * tries, 15000)); }); }
    var head = await req("HEAD", url, {}); offset = parseInt(head.getResponseHeader("Upload-Offset"), 10);
  }
  localStorage.removeItem(key);
  say(T.checking, "info");  // the server checks the video off the request: ask until it has
  for (;;) {
    var r = await req("GET", url + "/result", {}), res = JSON.parse(r.responseText);
    if (res.status !== "checking" && res.status !== "uploading") return res;
    await new Promise(function(ok){ setTimeout(ok, 1500); });
  }
}
function progress(done, total){ var p = Math.floor(100 * done / total); $("bar").hidden = false;
  $("bar").firstChild.style.width = p + "%"; $("pct").textContent = fill(T.sent, {percent: p,
  done: (done / 1048576).toFixed(1), total: (total / 1048576).toFixed(1)}); }
$("f").addEventListener("submit", async function(ev){
  ev.preventDefault(); var file = $("file").files[0], age = parseInt($("age").value, 10);
  if (!$("name").value.trim()) return say(T.needName, "err");
  if (!(age > 0)) return say(T.needAge, "err");
  if (age < C.guardianAge && (!$("guardian").value.trim() || !$("guardianConfirmed").checked))
    return say(C.rule.needGuardian, "err");
  if (age >= C.guardianAge && !$("selfConfirmed").checked) return say(C.rule.needSelf, "err");
  if (!file) return say(T.needFile, "err");
  if (file.size > C.maxBytes) return say(fill(T.tooBig, {mb: Math.round(C.maxBytes / 1048576)}), "err");
  $("send").disabled = true; say(T.sending, "info");
  try { var res = await send(file);
    if (res.status === "rejected") { say(fill(T.unusable, {reason: res.reason}), "err"); }
    else { $("f").hidden = true; $("done").style.display = "block";
      $("result").textContent = fill(T.received, {clip: res.clip});
      if (res.code) { $("codeBox").hidden = false; $("code").textContent = res.code;
        $("codeLink").href = C.pages + "/withdraw#" + res.code; } }
  } catch (e) { say(fill(T.notSent, {why: e.message === "network" ? T.networkDown : e.message}), "err"); }
  $("send").disabled = false;
});
})();
