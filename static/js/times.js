// Times on a student's page, kept current: countdowns ("closes in 2 h 13 min") tick in the
// page, and a time is also given in the browser's own zone when that differs from the exam's.
// Without this script the server's text (the remaining time when the page was made) stands.
(() => {
  // `within`: the span follows "in" ("closes in 3 days"), which German declines ("in 3 Tagen").
  function span(ms, within) {
    const minutes = Math.floor(ms / 60000);
    if (minutes < 1) return gettext("less than a minute");
    const days = Math.floor(minutes / 1440);
    const hours = Math.floor((minutes % 1440) / 60);
    const mins = minutes % 60;
    const h = (n) => interpolate(gettext("%(n)s h"), { n }, true);
    const min = (n) => interpolate(gettext("%(n)s min"), { n }, true);
    if (days) {
      const dayWords = within
        ? npgettext("in a span of", "%(n)s day", "%(n)s days", days)
        : ngettext("%(n)s day", "%(n)s days", days);
      const dayText = interpolate(dayWords, { n: days }, true);
      return [dayText, hours ? h(hours) : ""].filter(Boolean).join(" ");
    }
    return [hours ? h(hours) : "", mins ? min(mins) : ""].filter(Boolean).join(" ");
  }

  // Each countdown carries the seconds left when the server made the page, so a wrong clock
  // on the phone changes nothing.
  const started = performance.now();
  const countdowns = Array.from(document.querySelectorAll("[data-countdown]"));
  function tick() {
    const elapsed = performance.now() - started;
    let passed = false;
    for (const node of countdowns) {
      const left = Number(node.dataset.countdown) * 1000 - elapsed;
      if (left <= 0) {
        passed = true;
        continue;
      }
      node.textContent = [node.dataset.label, span(left, Boolean(node.dataset.label))].filter(Boolean).join(" ");
    }
    // A moment passed (opening, due time, cut-off): the server says what applies now.
    if (passed && !document.querySelector("form[aria-busy=true]")) {
      window.location.reload();
      return;
    }
    window.setTimeout(tick, 15000);
  }
  if (countdowns.length) tick();

  const browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  for (const node of document.querySelectorAll("[data-local-time]")) {
    if (!browserZone || browserZone === node.dataset.examZone) continue;
    const moment = new Date(node.dataset.localTime);
    const text = new Intl.DateTimeFormat(document.documentElement.lang || undefined, {
      weekday: "short",
      day: "numeric",
      month: "short",
      hour: "2-digit",
      minute: "2-digit",
      timeZoneName: "short",
    }).format(moment);
    node.textContent = interpolate(
      gettext("That is %(time)s in your time zone (%(zone)s)."),
      { time: text, zone: browserZone },
      true,
    );
    node.hidden = false;
  }
})();
