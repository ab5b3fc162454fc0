// The student's upload page, enhanced: drop or pick a file, see its name and size at once,
// refuse a file over the limit or of the wrong type before sending it (in the server's own
// words, which the page carries), hand photos to "Scan pages" (scan.js) when they should
// become one PDF, watch a progress bar while it goes up, and when the connection drops,
// keep the file and send it again (the same form token, so it is never counted twice).
// The plain form works without this script; the server stays the authority on every rule.
// Its words come from Django's JavaScript catalog (gettext, ngettext, interpolate), loaded
// before it as a script file.
(() => {
  const form = document.getElementById("upload-form");
  if (!form || !window.FormData || !window.XMLHttpRequest) return;

  const input = form.querySelector("input[type=file][name=file]");
  const button = form.querySelector("button[type=submit]");
  const chosen = document.getElementById("file-chosen");
  const errors = document.getElementById("upload-errors");
  const progressBox = document.getElementById("upload-progress");
  const progressBar = document.getElementById("upload-progress-bar");
  const progressText = document.getElementById("upload-progress-text");
  const status = document.getElementById("upload-status");
  const maxBytes = Number(form.dataset.maxBytes);
  const maxLabel = form.dataset.maxLabel;
  const retryBox = document.getElementById("upload-retry");
  const retryText = document.getElementById("upload-retry-text");
  const retryNow = document.getElementById("upload-retry-now");
  // The server's refusals by extension (students/filetypes.py wrong_type_messages).
  const refusals = JSON.parse(document.getElementById("type-refusals")?.textContent || "{}");
  const PHOTO = /\.(jpe?g|jpe|png|heic|heif|gif|webp)$/i;
  let hashing = null;
  let busy = false;
  let scanned = null; // the PDF "Scan pages" made, when it is the chosen file
  let pending = null; // the body being sent, kept until the server confirms it
  let attempts = 0;
  let retryTimer = null;
  let countdown = null;

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
  window.depositoryFormatSize = formatSize;

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

  // The input's accept list (".pdf,.jpg,.jpeg,application/pdf,image/jpeg"), when the exam
  // names its file types: the server writes every name of each type into it.
  const accepted = (input.accept || "")
    .split(",")
    .map((type) => type.trim().toLowerCase())
    .filter((type) => type.startsWith("."));

  function extensionOf(name) {
    const dot = name.lastIndexOf(".");
    return dot > 0 ? name.slice(dot + 1).toLowerCase() : "";
  }

  function wrongType(file) {
    const name = file.name.toLowerCase();
    return accepted.length > 0 && !accepted.some((ext) => name.endsWith(ext));
  }

  function wrongTypeMessage(file) {
    const ext = extensionOf(file.name);
    const text = refusals[ext] || refusals["*"];
    return say(text, { name: file.name, ext });
  }

  // Photos become one PDF in "Scan pages" when there are several, or when the exam does
  // not take them as they are, or when one is too large (scanning makes it smaller).
  function forScanning(files) {
    if (!form.scanPages || !files.length || !files.every((file) => PHOTO.test(file.name))) {
      return false;
    }
    return files.length > 1 || wrongType(files[0]) || tooLarge(files[0]);
  }

  // Why photos chosen here went to "Scan pages", and what to do next.
  function handOverNote(files) {
    const [file] = files;
    if (files.length > 1) {
      return gettext("Your photos went to “Scan pages”: press “Make PDF”, then “Upload”.");
    }
    if (tooLarge(file)) {
      return say(
        gettext(
          "%(name)s is %(size)s, more than the limit of %(limit)s. It went to “Scan pages”, " +
            "which makes photos smaller: press “Make PDF”, then “Upload”.",
        ),
        { name: file.name, size: formatSize(file.size), limit: maxLabel },
      );
    }
    return say(
      gettext(
        "This exam takes photos as a PDF, so %(name)s went to “Scan pages”: press " +
          "“Make PDF”, then “Upload”.",
      ),
      { name: file.name },
    );
  }

  function chosenFile() {
    return scanned || input.files[0];
  }

  function fileChanged() {
    const files = Array.from(input.files);
    if (!scanned && forScanning(files)) {
      input.value = "";
      showError(null);
      chosen.textContent = handOverNote(files);
      form.dispatchEvent(new CustomEvent("scan-add", { detail: { files } }));
      return;
    }
    if (!scanned && files.length > 1) {
      input.value = "";
      showError(gettext("Please choose one file: your answer is one file."));
      return;
    }
    const file = chosenFile();
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
      showError(wrongTypeMessage(file));
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
    pending = null;
    stopRetrying();
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
    const file = chosenFile();
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

  async function send(event) {
    event.preventDefault();
    if (busy) return;
    if (!chosenFile() && form.scanPages && form.scanPages() > 0) {
      // Pages in "Scan pages" not made into a PDF yet: make it, then send it.
      if (!(await form.makeScanPdf())) return;
    }
    const file = chosenFile();
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
    // Built once: a retry sends the same body, with the same form token, so the server
    // knows it for the same upload and never counts it twice.
    pending = new FormData(form);
    pending.delete(input.name);
    pending.append(input.name, file, file.name);
    attempts = 0;
    busy = true;
    button.disabled = true;
    button.textContent = gettext("Uploading…");
    form.setAttribute("aria-busy", "true");
    showError(null);
    // Disabled controls are left out of FormData, so disable the input only after building it.
    input.disabled = true;
    transmit();
  }

  function transmit() {
    stopRetrying();
    const file = chosenFile();
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
    xhr.addEventListener("load", () => {
      // The proxy or the app could not take it just now (storage or database away, a
      // deploy): nothing was counted, so it goes again like a dropped connection.
      if ([502, 503, 504].includes(xhr.status)) interrupted();
      else received(xhr);
    });
    xhr.addEventListener("error", interrupted);
    xhr.addEventListener("timeout", interrupted);
    xhr.send(pending);
  }

  // The connection dropped before the server answered: keep the file and the body, say so,
  // and send them again after 2, 4, 8, 16, then every 30 seconds, or at once when the
  // browser is back online or the student asks.
  function interrupted() {
    if (!pending) return;
    attempts += 1;
    progressBox.hidden = true;
    status.textContent = "";
    let seconds = Math.min(2 ** attempts, 30);
    const explain = () => {
      retryText.textContent = navigator.onLine
        ? say(
            gettext(
              "The connection dropped before the server confirmed your upload. Your file is " +
                "kept in this page and goes again in %(seconds)s s, as the same upload: it " +
                "cannot be counted twice. Your earlier submission is unchanged.",
            ),
            { seconds },
          )
        : gettext(
            "You are offline. Your file is kept in this page and goes again as soon as the " +
              "connection is back, as the same upload: it cannot be counted twice. Your " +
              "earlier submission is unchanged.",
          );
    };
    explain();
    retryBox.hidden = false;
    countdown = setInterval(() => {
      seconds = Math.max(seconds - 1, 0);
      explain();
    }, 1000);
    retryTimer = setTimeout(transmit, seconds * 1000);
  }

  function stopRetrying() {
    clearTimeout(retryTimer);
    clearInterval(countdown);
    retryTimer = countdown = null;
    retryBox.hidden = true;
  }

  retryNow.addEventListener("click", () => {
    if (pending && retryTimer) transmit();
  });
  window.addEventListener("online", () => {
    if (pending && retryTimer) transmit();
  });
  window.addEventListener("offline", () => {
    if (retryTimer) retryText.textContent = gettext(
      "You are offline. Your file is kept in this page and goes again as soon as the " +
        "connection is back, as the same upload: it cannot be counted twice. Your " +
        "earlier submission is unchanged.",
    );
  });

  form.addEventListener("scan-ready", (event) => {
    scanned = event.detail.file;
    try {
      const one = new DataTransfer();
      one.items.add(scanned);
      input.files = one.files;
    } catch {
      // An older browser without DataTransfer: the PDF is sent all the same (chosenFile).
    }
    requireAFile();
    fileChanged();
  });
  // The file input is required unless pages wait in "Scan pages" (Upload then makes them
  // into the PDF it sends).
  function requireAFile() {
    input.required = !scanned && !(form.scanPages && form.scanPages() > 0);
  }

  form.addEventListener("scan-changed", () => {
    if (scanned) {
      scanned = null;
      input.value = "";
      fileChanged();
    }
    requireAFile();
  });

  input.addEventListener("change", () => {
    scanned = null; // a file the student picks replaces a PDF made from scanned pages
    fileChanged();
    requireAFile();
  });
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
    const dropped = Array.from(e.dataTransfer.files);
    if (forScanning(dropped)) {
      form.dispatchEvent(new CustomEvent("scan-add", { detail: { files: dropped } }));
      return;
    }
    const one = new DataTransfer();
    one.items.add(dropped[0]);
    input.files = one.files;
    fileChanged();
    button.focus();
  });

  if (input.files.length) fileChanged();
})();
