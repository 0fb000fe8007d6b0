/* The avatar frame page (loa/templates/public/frame.html): the photo is framed on the phone,
   never sent. Its data come from the page's JSON block, #loa-data: no inline script runs. */
(function(){
"use strict";
var D = JSON.parse(document.getElementById("loa-data").textContent), T = D.T;
var base = D.base, $ = function(id){ return document.getElementById(id); };
var canvas = $("c"), ctx = canvas.getContext("2d"), S = 1080, frame = new Image(), photo = null;
var zoom = 1, dx = 0, dy = 0, pointers = {}, pinch = null;
function say(t){ $("msg").textContent = t; }
function fit(){ if (!photo) return; var sc = Math.max(S / photo.width, S / photo.height) * zoom;
  var w = photo.width * sc, h = photo.height * sc, mx = Math.max(0, (w - S) / 2), my = Math.max(0, (h - S) / 2);
  dx = Math.min(mx, Math.max(-mx, dx)); dy = Math.min(my, Math.max(-my, dy)); return [w, h]; }
function draw(){ ctx.clearRect(0, 0, S, S);
  if (photo) { var wh = fit(); ctx.drawImage(photo, (S - wh[0]) / 2 + dx, (S - wh[1]) / 2 + dy, wh[0], wh[1]); }
  if (frame.complete && frame.naturalWidth) ctx.drawImage(frame, 0, 0, S, S); }
frame.onload = draw; frame.src = base + "/frame.png";
$("photo").addEventListener("change", function(){
  var f = this.files[0]; if (!f) return; say(T.loading);
  var img = new Image(), url = URL.createObjectURL(f);
  img.onload = function(){ photo = img; zoom = 1; dx = dy = 0; $("zoom").value = 1; draw(); $("save").disabled = false; say(""); };
  img.onerror = function(){ URL.revokeObjectURL(url); say(T.unreadable); };
  img.src = url; });
$("zoom").addEventListener("input", function(){ zoom = parseFloat(this.value); draw(); });
Array.prototype.forEach.call(document.querySelectorAll("[data-move]"), function(b){
  b.addEventListener("click", function(){ var m = b.getAttribute("data-move").split(","); dx -= 40 * m[0]; dy -= 40 * m[1]; draw(); }); });
function scale(){ return S / canvas.getBoundingClientRect().width; }
canvas.addEventListener("pointerdown", function(e){ canvas.setPointerCapture(e.pointerId); pointers[e.pointerId] = [e.clientX, e.clientY]; });
canvas.addEventListener("pointermove", function(e){
  if (!pointers[e.pointerId] || !photo) return; var ids = Object.keys(pointers);
  if (ids.length === 2) { var a = pointers[ids[0]], b = pointers[ids[1]];
    pointers[e.pointerId] = [e.clientX, e.clientY]; a = pointers[ids[0]]; b = pointers[ids[1]];
    var d = Math.hypot(a[0] - b[0], a[1] - b[1]);
    if (pinch) { zoom = Math.min(4, Math.max(1, zoom * d / pinch)); $("zoom").value = zoom; } pinch = d; draw(); return; }
  var p = pointers[e.pointerId], k = scale(); dx += (e.clientX - p[0]) * k; dy += (e.clientY - p[1]) * k;
  pointers[e.pointerId] = [e.clientX, e.clientY]; draw(); });
function up(e){ delete pointers[e.pointerId]; pinch = null; }
canvas.addEventListener("pointerup", up); canvas.addEventListener("pointercancel", up);
$("save").addEventListener("click", function(){
  draw(); canvas.toBlob(function(blob){
    var a = document.createElement("a"); a.href = URL.createObjectURL(blob); a.download = T.file;
    document.body.appendChild(a); a.click(); setTimeout(function(){ URL.revokeObjectURL(a.href); a.remove(); }, 1000);
    say(T.saved);
    fetch(base + "/frame-downloaded", {method: "POST", credentials: "omit"}).catch(function(){}); }, "image/png"); });
$("copy").addEventListener("click", function(){
  var t = $("caption"); function done(){ say(T.copied); }
  if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(t.value).then(done, function(){ t.select(); document.execCommand("copy"); done(); });
  else { t.select(); document.execCommand("copy"); done(); } });
})();
