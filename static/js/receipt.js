// The receipt: compare the SHA-256 the browser computed before sending with the one the
// server stored, let the student check any copy of the file against it, and print.
(() => {
  const receipt = document.querySelector("[data-sha256]");
  if (!receipt) return;
  const stored = receipt.dataset.sha256;
  const result = document.getElementById("hash-check");
  const checkFile = document.getElementById("check-file");

  function show(matches, text) {
    result.hidden = false;
    result.className = matches ? "success hash-check" : "error-box hash-check";
    result.dataset.match = matches ? "yes" : "no";
    result.textContent = text;
  }

  function compare(sent, name) {
    if (sent === stored) {
      show(
        true,
        interpolate(
          gettext(
            "What you sent is what we stored: your browser computed the same SHA-256 for " +
              "%(name)s before sending it.",
          ),
          { name },
          true,
        ),
      );
    } else {
      show(
        false,
        interpolate(
          gettext(
            "Not the same file: before sending %(name)s, your browser computed its SHA-256 " +
              "as %(sent)s…, not %(stored)s… as stored. Please upload the file again.",
          ),
          { name, sent: sent.slice(0, 12), stored: stored.slice(0, 12) },
          true,
        ),
      );
    }
  }

  if (result) {
    let sent = null;
    try {
      sent = JSON.parse(sessionStorage.getItem(`sha256:${window.location.pathname}`) || "null");
    } catch {
      sent = null;
    }
    if (sent && sent.sha256) compare(sent.sha256, sent.name);
  }

  if (checkFile && window.crypto && crypto.subtle) {
    checkFile.closest("[hidden]")?.removeAttribute("hidden");
    checkFile.addEventListener("change", async () => {
      const file = checkFile.files[0];
      if (!file) return;
      const digest = await crypto.subtle.digest("SHA-256", await file.arrayBuffer());
      const hex = Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0"));
      const sent = hex.join("");
      if (sent === stored) {
        show(
          true,
          interpolate(
            gettext("%(name)s is the file on this receipt: its SHA-256 is the same."),
            { name: file.name },
            true,
          ),
        );
      } else {
        show(
          false,
          interpolate(
            gettext(
              "%(name)s is not the file on this receipt: its SHA-256 starts %(sent)s…, " +
                "not %(stored)s….",
            ),
            { name: file.name, sent: sent.slice(0, 12), stored: stored.slice(0, 12) },
            true,
          ),
        );
      }
    });
  }

  for (const button of document.querySelectorAll("[data-print]")) {
    button.hidden = false;
    button.addEventListener("click", () => window.print());
  }
})();
