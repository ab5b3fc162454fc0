// While the exam is open, refresh the exam page's counts and newest uploads every few
// seconds, and its chart about once a minute. Paused while the tab is hidden; stops once
// the fragment comes back without data-refresh (the exam has closed).
(function () {
  var timer = null;
  var polls = 0;
  var waiting = false; // a request is out: never two at once

  function box() {
    return document.getElementById("live");
  }

  function schedule() {
    clearTimeout(timer);
    var live = box();
    if (!live || !live.dataset.refresh || document.hidden) return;
    timer = setTimeout(poll, Number(live.dataset.every || 5) * 1000);
  }

  // Swap in each part the answer has (the counts always, the chart when asked for), and
  // the refresh address, which the answer leaves out once the exam has closed.
  function apply(html) {
    var live = box();
    var template = document.createElement("template");
    template.innerHTML = html.trim();
    var fresh = template.content.firstElementChild;
    if (!live || !fresh) return;
    // The parts stay and only their insides change, so a screen reader hears the counts
    // change (#live-counts is a polite live region).
    Array.prototype.forEach.call(fresh.querySelectorAll("[id^='live-']"), function (part) {
      var old = document.getElementById(part.id);
      if (old) old.replaceChildren.apply(old, Array.prototype.slice.call(part.childNodes));
    });
    // The roster below is the page's, made with live.dataset.version: once the counts have
    // moved on, say so with a link to reload it, rather than show two different numbers.
    var stale = document.getElementById("roster-stale");
    if (stale && fresh.dataset.version && fresh.dataset.version !== live.dataset.version) {
      stale.hidden = false;
    }
    if (fresh.dataset.refresh) {
      live.dataset.refresh = fresh.dataset.refresh;
    } else {
      delete live.dataset.refresh;
    }
  }

  function poll() {
    var live = box();
    if (!live || !live.dataset.refresh || document.hidden || waiting) return;
    waiting = true;
    polls += 1;
    var url = live.dataset.refresh;
    if (polls % Number(live.dataset.chartEvery || 12) === 0) url += "?chart=1";
    fetch(url, { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error(response.status);
        return response.text();
      })
      .then(function (html) {
        waiting = false;
        apply(html);
        schedule();
      })
      .catch(function () {
        // Offline for a moment or the server busy: try again at the next turn.
        waiting = false;
        schedule();
      });
  }

  document.addEventListener("visibilitychange", function () {
    if (document.hidden) {
      clearTimeout(timer);
    } else {
      poll();
    }
  });
  schedule();
})();
