/* The withdrawal page (loa/templates/public/withdraw.html): a code in the link's #fragment fills the
   box and leaves the address bar (it never reaches the server's logs). */
(function(){
"use strict";
var c = location.hash.replace(/^#/, "");
if (/^[A-Za-z0-9-]{12,16}$/.test(c)) {
  document.getElementById("code").value = c;
  history.replaceState(null, "", location.pathname);
}
})();
