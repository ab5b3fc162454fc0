// The browser's own time zone, where the examiner has not chosen one: preselected on the time
// zone page, and sent with the login form so a first login starts in the right zone.
(function () {
  var zone = window.Intl && Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (!zone) return;
  document.querySelectorAll("select[data-suggest=browser]").forEach(function (select) {
    var known = Array.prototype.some.call(select.options, function (option) {
      return option.value === zone;
    });
    if (known) select.value = zone;
  });
  document.querySelectorAll("input[data-browser-zone]").forEach(function (input) {
    input.value = zone;
  });
  // The exam form: its time fields name the zone they are read in; follow the zone picked.
  var examZone = document.getElementById("id_time_zone");
  if (examZone && !examZone.dataset.suggest) {
    examZone.addEventListener("change", function () {
      document.querySelectorAll("input[data-zoned]").forEach(function (input) {
        var label = document.querySelector('label[for="' + input.id + '"]');
        if (label) label.textContent = label.textContent.replace(/\([^)]*\)$/, "(" + examZone.value + ")");
      });
    });
  }
})();
