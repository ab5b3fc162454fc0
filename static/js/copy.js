// Copy buttons: <button data-copy="#input-id"> copies that input's value, and
// <button data-copy-text="..."> copies the text itself. No inline script (CSP).
document.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-copy], [data-copy-text]");
  if (!button) return;
  const source = button.dataset.copy ? document.querySelector(button.dataset.copy) : null;
  const text = source ? source.value : button.dataset.copyText;
  const label = button.textContent;
  try {
    await navigator.clipboard.writeText(text);
    button.textContent = gettext("Copied");
  } catch {
    // No clipboard access (an old browser, plain HTTP): let the examiner copy by hand.
    if (!source) {
      window.prompt(gettext("Copy this link:"), text);
      return;
    }
    source.select();
    button.textContent = gettext("Press Ctrl+C to copy");
  }
  setTimeout(() => { button.textContent = label; }, 2000);
});
