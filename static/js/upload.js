// The student's upload page, enhanced: drop or pick a file, see its name and size at once,
// refuse a file over the limit before sending it, and watch a progress bar while it goes up.
// The plain form works without this script; the server stays the authority on every rule.
// Its words come from Django's JavaScript catalog (gettext, ngettext, interpolate), loaded
// before it as a script file.
(() => {
  const form = document.getElementById("upload-form");
  if (!form || !window.FormData || !window.XMLHttpRequest) return;

  const input = form.querySelector("input[type=file]");
  const button = form.querySelector("button[type=submit]");
  const chosen = document.getElementById("file-chosen");
  const errors = document.getElementById("upload-errors");
  const progressBox = document.getElementById("upload-progress");
  const progressBar = document.getElementById("upload-progress-bar");
  const progressText = document.getElementById("upload-progress-text");
  const status = document.getElementById("upload-status");
  const maxBytes = Number(form.dataset.maxBytes);
  const maxLabel = form.dataset.maxLabel;
  let hashing = null;
  let busy = false;

  document.documentElement.classList.add("js");

  function say(text, values) {
    return interpolate(text, values, true);
  }

  function formatSize(bytes) {
    // Django's filesizeformat: 1 KB = 1024 bytes, one decimal, the language's decimal mark.
    const units = ["bytes", "KB", "MB", "GB"];
    let value = bytes;
    let unit = 0;
    while (value >= 1024 && unit < units.length - 1) {
      value /= 1024;
      unit += 1;
    }
    if (unit === 0) {
      return interpolate(ngettext("%(count)s byte", "%(count)s bytes", bytes), { count: bytes }, true);
    }
    const number = value.toFixed(1).replace(".", get_format("DECIMAL_SEPARATOR"));
    return `${number} ${units[unit]}`;
  }

  function showError(message) {
    errors.replaceChildren();
    if (!message) return;
    const box = document.createElement("div");
    box.className = "error-box";
    for (const line of [].concat(message)) {
      const p = document.createElement("p");
      p.textContent = line;
      box.append(p);
    }
    errors.append(box);
  }

  function sha256(file) {
    if (!window.crypto || !crypto.subtle || !file.arrayBuffer) return Promise.resolve(null);
    return file
      .arrayBuffer()
      .then((buffer) => crypto.subtle.digest("SHA-256", buffer))
      .then((digest) =>
        Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, "0")).join(""),
      )
      .catch(() => null);
  }

  function tooLarge(file) {
    return maxBytes > 0 && file.size > maxBytes;
  }

  // The input's accept list (".pdf,.docx"), when the exam names its file types.
  const accepted = (input.accept || "")
    .split(",")
    .map((type) => type.trim().toLowerCase())
    .filter((type) => type.startsWith("."));

  function wrongType(file) {
    const name = file.name.toLowerCase();
    return accepted.length > 0 && !accepted.some((ext) => name.endsWith(ext));
  }

  function fileChanged() {
    const file = input.files[0];
    showError(null);
    hashing = null;
    if (!file) {
      chosen.textContent = "";
      input.removeAttribute("aria-invalid");
      return;
    }
    chosen.textContent = say(gettext("Chosen: %(name)s (%(size)s)"), {
      name: file.name,
      size: formatSize(file.size),
    });
    if (tooLarge(file)) {
      input.setAttribute("aria-invalid", "true");
      showError(
        say(
          gettext(
            "This file is %(size)s; the limit is %(limit)s. It was not sent. " +
              "Please make it smaller (for example, export a compressed PDF) and choose it again.",
          ),
          { size: formatSize(file.size), limit: maxLabel },
        ),
      );
      return;
    }
    if (wrongType(file)) {
      input.setAttribute("aria-invalid", "true");
      showError(
        say(
          gettext(
            "This exam accepts only %(types)s files, so %(name)s was not sent. " +
              "Please choose the right file.",
          ),
          { types: accepted.join(", "), name: file.name },
        ),
      );
      return;
    }
    input.removeAttribute("aria-invalid");
    if (file.size === 0) {
      showError(gettext("This file is empty (0 bytes). Please check you picked the right file."));
      return;
    }
    hashing = sha256(file);
  }

  function setProgress(loaded, total) {
    const percent = total ? Math.floor((loaded / total) * 100) : 0;
    progressBar.max = total || 1;
    progressBar.value = loaded;
    const amount = say(gettext("%(loaded)s of %(total)s"), {
      loaded: formatSize(loaded),
      total: formatSize(total),
    });
    progressText.textContent = `${percent}% · ${amount}`;
  }

  const buttonLabel = button.textContent;

  function finish() {
    busy = false;
    button.textContent = buttonLabel;
    button.disabled = false;
    input.disabled = false;
    form.removeAttribute("aria-busy");
  }

  function failed(messages) {
    progressBox.hidden = true;
    status.textContent = "";
    showError(messages);
    finish();
    button.focus();
  }

  // The server answered with its upload page and a status: take its messages from there.
  function showServerAnswer(xhr) {
    const page = new DOMParser().parseFromString(xhr.responseText, "text/html");
    const messages = Array.from(
      page.querySelectorAll("main .error-box p, main .field-error"),
      (node) => node.textContent.trim(),
    ).filter(Boolean);
    const left = page.querySelector("[data-testid=uploads-left]");
    const here = document.querySelector("[data-testid=uploads-left]");
    if (left && here) here.textContent = left.textContent;
    if (!page.getElementById("upload-form")) {
      const notice = page.querySelector("main .notice");
      if (notice) form.replaceWith(document.importNode(notice, true));
    }
    failed(
      messages.length
        ? messages
        : say(
            gettext("The upload was not accepted (error %(status)s). Please try again in a minute."),
            { status: xhr.status },
          ),
    );
  }

  async function received(xhr) {
    const receiptUrl = new URL(xhr.responseURL);
    if (xhr.status !== 200 || !receiptUrl.pathname.includes("/receipt/")) {
      showServerAnswer(xhr);
      return;
    }
    status.textContent = gettext("Upload complete. Opening your receipt…");
    const file = input.files[0];
    const digest = hashing ? await hashing : null;
    if (digest) {
      try {
        sessionStorage.setItem(
          `sha256:${receiptUrl.pathname}`,
          JSON.stringify({ sha256: digest, name: file.name, size: file.size }),
        );
      } catch {
        // Private modes may refuse storage; the receipt then simply shows no comparison.
      }
    }
    window.location.assign(receiptUrl.href);
  }

  // The last upload is confirmed in a dialog instead of the plain form's checkbox.
  const confirmLast = form.querySelector(".confirm-last input[type=checkbox]");
  if (confirmLast) {
    confirmLast.required = false;
    confirmLast.closest(".confirm-last").hidden = true;
  }

  function send(event) {
    event.preventDefault();
    if (busy) return;
    const file = input.files[0];
    if (!file) {
      showError(gettext("Please choose a file to upload."));
      input.focus();
      return;
    }
    if (tooLarge(file) || wrongType(file) || file.size === 0) {
      fileChanged();
      input.focus();
      return;
    }
    if (confirmLast) {
      const sure = window.confirm(
        say(
          gettext(
            "This is your last upload: after it you cannot replace your file.\n\n" +
              "Upload %(name)s now?",
          ),
          { name: file.name },
        ),
      );
      if (!sure) return;
      confirmLast.checked = true;
    }
    if (!hashing) hashing = sha256(file);
    // Messages from an earlier, plain post would now be stale.
    for (const stale of document.querySelectorAll(".narrow > .error-box, .field-error")) {
      stale.remove();
    }
    const body = new FormData(form);
    busy = true;
    button.disabled = true;
    button.textContent = gettext("Uploading…");
    form.setAttribute("aria-busy", "true");
    showError(null);
    setProgress(0, file.size);
    progressBox.hidden = false;
    status.textContent = say(gettext("Uploading %(name)s…"), { name: file.name });

    const xhr = new XMLHttpRequest();
    xhr.open("POST", form.action || window.location.href);
    let total = file.size;
    xhr.upload.addEventListener("progress", (e) => {
      if (!e.lengthComputable) return;
      total = e.total;
      setProgress(Math.min(e.loaded, total), total);
    });
    xhr.upload.addEventListener("load", () => setProgress(total, total));
    xhr.addEventListener("load", () => received(xhr));
    xhr.addEventListener("error", () =>
      failed(
        gettext(
          "The upload was interrupted before the server answered. Nothing may have been " +
            "stored: check your connection and try again. Your earlier submission is unchanged.",
        ),
      ),
    );
    xhr.addEventListener("timeout", () =>
      failed(gettext("The upload took too long and was stopped. Please try again.")),
    );
    // Disabled controls are left out of FormData, so disable the input only after building it.
    input.disabled = true;
    xhr.send(body);
  }

  input.addEventListener("change", fileChanged);
  form.addEventListener("submit", send);
  // Back from the receipt, the browser may restore this page as it was left: mid-upload,
  // with a used form token and an old count. Load it afresh instead.
  window.addEventListener("pageshow", (event) => {
    if (event.persisted) window.location.reload();
  });

  // Drop a file anywhere on the page.
  let depth = 0;
  const hasFiles = (e) => e.dataTransfer && Array.from(e.dataTransfer.types).includes("Files");
  document.addEventListener("dragenter", (e) => {
    if (!hasFiles(e) || busy) return;
    depth += 1;
    document.body.classList.add("dragging");
  });
  document.addEventListener("dragleave", () => {
    depth = Math.max(depth - 1, 0);
    if (depth === 0) document.body.classList.remove("dragging");
  });
  document.addEventListener("dragover", (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = busy ? "none" : "copy";
  });
  document.addEventListener("drop", (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    depth = 0;
    document.body.classList.remove("dragging");
    if (busy || !e.dataTransfer.files.length) return;
    const one = new DataTransfer();
    one.items.add(e.dataTransfer.files[0]);
    input.files = one.files;
    fileChanged();
    button.focus();
  });

  if (input.files.length) fileChanged();
})();
