// The roster's filters apply on change: a choice at once, the search after a pause in
// typing. Without JavaScript the Apply button does the same.
(function () {
  "use strict";
  var form = document.querySelector("form[data-auto-submit]");
  if (!form) return;
  var timer = null;
  form.querySelectorAll("select").forEach(function (select) {
    select.addEventListener("change", function () { form.requestSubmit(); });
  });
  form.querySelectorAll("input[type=text], input[type=search]").forEach(function (input) {
    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(function () { form.requestSubmit(); }, 500);
    });
  });
})();
