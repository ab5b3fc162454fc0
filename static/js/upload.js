// The student's upload page, enhanced: drop or pick a file, see its name and size at once,
// refuse a file over the limit or of the wrong type before sending it (in the server's own
// words, which the page carries), hand photos to "Scan pages" (scan.js) when they should
// become one PDF, watch a progress bar while it goes up, and when the connection drops,
// keep the file and send it again (the same form token, so it is never counted twice).
// Where the exam takes commitments (data-two-step), the file goes in two steps: its
// fingerprint (SHA-256, size, name) is fixed first, which fixes the upload's moment; its bytes
// then go straight to storage (a PUT to the URL the server gave), and the server checks them.
// A student who comes back to the link with a fixed file whose bytes never arrived can send
// that same file (data-committed-*), checked here by its fingerprint before anything is sent.
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
  const fixedBox = document.getElementById("upload-fixed");
  const tokenInput = form.querySelector("input[name=form_token]");
  // Two steps need the browser's SHA-256 (only in a secure context: HTTPS or this machine).
  const twoStep = "twoStep" in form.dataset && Boolean(window.crypto && crypto.subtle);
  // The file this student fixed earlier, whose bytes have not arrived; with deliveryOnly
  // (uploads closed since) no other file can be taken.
  let fixed = form.dataset.committedSha256
    ? {
        sha256: form.dataset.committedSha256,
        size: Number(form.dataset.committedSize),
        name: form.dataset.committedName,
      }
    : null;
  const deliveryOnly = "deliveryOnly" in form.dataset;
  let hashing = null;
  let busy = false;
  let scanned = null; // the PDF "Scan pages" made, when it is the chosen file
  // What is being sent, kept until the server confirms it: the one-step form's body, or the
  // two-step upload's file and fingerprint.
  let pending = null;
  let step = null; // the two-step upload's next step: "commit", "put" or "complete"
  let commitment = null; // the server's answer to the commit: where to PUT, until when
  let committedWith = null; // the fingerprint the form token was committed with
  let otherFileChosen = null; // the fingerprint of another file the student was warned of
  let attempts = 0;
  let retryTimer = null;
  let countdown = null;

  document.documentElement.classList.add("js");
  if (deliveryOnly && twoStep) form.hidden = false;

  // What the page is doing, for assistive tools' sake in words and for tests in data-state:
  // idle, same (the fixed file chosen again), other (another file), fixing, sending, checking,
  // retrying, refused, done.
  function setState(name) {
    form.dataset.state = name;
  }
  setState("idle");

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
    setState("idle");
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
    if (fixed && twoStep) {
      const mine = hashing;
      mine.then((digest) => {
        if (mine === hashing && !busy) compareWithFixed(file, digest);
      });
    }
  }

  function isFixedFile(file, digest) {
    return digest === fixed.sha256 && file.size === fixed.size;
  }

  // A student who came back: is the chosen file the one they fixed? Said beside the chosen
  // file (in view on a phone), and in full in the error area.
  function compareWithFixed(file, digest) {
    button.textContent = buttonLabel;
    if (!digest) return;
    const chosenText = say(gettext("Chosen: %(name)s (%(size)s)"), {
      name: file.name,
      size: formatSize(file.size),
    });
    if (isFixedFile(file, digest)) {
      setState("same");
      showError(null);
      const same = gettext("This is the file you fixed: press “Upload” to send it.");
      chosen.replaceChildren(chosenText, document.createElement("br"), same);
      return;
    }
    setState("other");
    const other = gettext("This is not the file you fixed (see above).");
    chosen.replaceChildren(chosenText, document.createElement("br"), other);
    otherFileChosen = digest;
    input.setAttribute("aria-invalid", "true");
    showError(notTheFixedFile(file));
    if (!deliveryOnly) button.textContent = gettext("Upload this file instead");
  }

  function notTheFixedFile(file) {
    const facts = {
      name: file.name,
      fixed: fixed.name,
      size: formatSize(fixed.size),
      fingerprint: `${fixed.sha256.slice(0, 16)}…`,
    };
    const notSame = say(
      gettext(
        "“%(name)s” is not the file you fixed (“%(fixed)s”, %(size)s, fingerprint " +
          "%(fingerprint)s): its fingerprint differs.",
      ),
      facts,
    );
    if (deliveryOnly) {
      return [
        notSame,
        gettext(
          "Uploads are closed, so only the fixed file can still be taken: please choose that " +
            "same file.",
        ),
      ];
    }
    return [
      notSame,
      gettext(
        "To send the fixed file, choose that same file. Or press “Upload this file instead”: " +
          "this file then starts a new upload, which replaces the fixed one and counts from " +
          "when you send it.",
      ),
    ];
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
    step = null;
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
    setState("refused");
    button.focus();
  }

  function notAccepted(xhr) {
    return say(
      gettext("The upload was not accepted (error %(status)s). Please try again in a minute."),
      { status: xhr.status },
    );
  }

  // The server answered with its upload page and a status: take its messages from there.
  function showServerAnswer(xhr) {
    const page = new DOMParser().parseFromString(xhr.responseText, "text/html");
    const messages = Array.from(
      page.querySelectorAll("main .error-box p, main .field-error"),
      (node) => node.textContent.trim(),
    ).filter(Boolean);
    takeFacts(page);
    failed(messages.length ? messages : notAccepted(xhr));
  }

  // The page as the server makes it now: how many uploads are left, and, when it no longer
  // takes a file, its notice instead of the form.
  function takeFacts(page) {
    const left = page.querySelector("[data-testid=uploads-left]");
    const here = document.querySelector("[data-testid=uploads-left]");
    if (left && here) here.textContent = left.textContent;
    if (!page.getElementById("upload-form")) {
      const notice = page.querySelector("main .notice");
      if (notice) form.replaceWith(document.importNode(notice, true));
    }
  }

  async function received(xhr) {
    const receiptUrl = new URL(xhr.responseURL);
    if (xhr.status !== 200 || !receiptUrl.pathname.includes("/receipt/")) {
      showServerAnswer(xhr);
      return;
    }
    openReceipt(receiptUrl);
  }

  async function openReceipt(receiptUrl) {
    setState("done");
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
    if (!hashing) hashing = sha256(file);
    let digest = null;
    if (twoStep) {
      busy = true; // while the fingerprint is read: one press sends once
      digest = await hashing;
      busy = false;
      if (file !== chosenFile()) return;
      if (!digest && deliveryOnly) {
        showError(noFingerprint());
        return;
      }
      const other = fixed && digest && !isFixedFile(file, digest);
      if (other && (deliveryOnly || otherFileChosen !== digest)) {
        compareWithFixed(file, digest); // said first; pressing again uploads it instead
        input.focus();
        return;
      }
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
    // Messages from an earlier, plain post would now be stale.
    for (const stale of document.querySelectorAll(".narrow > .error-box, .field-error")) {
      stale.remove();
    }
    if (twoStep && digest) {
      // A form token names one file: another file (after a refusal) gets a token of its own.
      if (committedWith && committedWith !== `${digest}:${file.size}`) forgetCommitment();
      const statement = form.querySelector("input[name=statement]");
      pending = { file, digest, statement: Boolean(statement && statement.checked) };
      step = "commit";
    } else {
      // Built once: a retry sends the same body, with the same form token, so the server
      // knows it for the same upload and never counts it twice.
      pending = new FormData(form);
      pending.delete(input.name);
      pending.append(input.name, file, file.name);
    }
    attempts = 0;
    notDelivered = 0;
    storageRefused = null;
    busy = true;
    button.disabled = true;
    button.textContent = gettext("Uploading…");
    form.setAttribute("aria-busy", "true");
    showError(null);
    // Disabled controls are left out of FormData, so disable the input only after building it.
    input.disabled = true;
    transmit();
  }

  function noFingerprint() {
    return gettext(
      "This browser cannot check your file's fingerprint, so it cannot send the fixed file. " +
        "Please open this link in a current browser.",
    );
  }

  function transmit() {
    stopRetrying();
    if (step) {
      ({ commit, put, complete })[step]();
      return;
    }
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

  // --- Two steps: fix the file, send its bytes to storage, have the server check them ---

  let notDelivered = 0; // completions that found no bytes, in a row
  let storageRefused = null; // the status storage refused the last PUT with

  // A request of the two-step upload: `answered(xhr)` with the server's answer, or, when the
  // connection dropped or the server could not take it just now (storage or database away,
  // a deploy), `interrupted` to try again later from `retryStep`.
  function request(method, url, answered, retryStep, headers) {
    const xhr = new XMLHttpRequest();
    xhr.open(method, url);
    for (const [name, value] of Object.entries(headers || {})) xhr.setRequestHeader(name, value);
    const again = () => {
      step = retryStep;
      interrupted();
    };
    xhr.addEventListener("load", () => {
      if (xhr.status === 0 || [408, 429, 500, 502, 503, 504].includes(xhr.status)) again();
      else answered(xhr);
    });
    xhr.addEventListener("error", again);
    xhr.addEventListener("timeout", again);
    xhr.addEventListener("abort", again);
    return xhr;
  }

  function answerOf(xhr) {
    try {
      return JSON.parse(xhr.responseText);
    } catch {
      return null;
    }
  }

  // Step 1: the file's fingerprint, size and name, with the form token. Sent again (after
  // a dropped connection, or for a fresh URL to PUT to), it answers the same commitment.
  function commit() {
    setState("fixing");
    progressBox.hidden = true;
    status.textContent = gettext("Step 1 of 3: fixing your file by its fingerprint…");
    const body = new FormData();
    body.append("token", tokenInput.value);
    body.append("sha256", pending.digest);
    body.append("size", String(pending.file.size));
    body.append("name", pending.file.name);
    if (pending.statement) body.append("statement", "on");
    request("POST", form.dataset.commitUrl, committed, "commit").send(body);
  }

  function committed(xhr) {
    const answer = answerOf(xhr);
    if (xhr.status !== 201 || !answer) {
      refused(xhr, answer);
      return;
    }
    commitment = answer;
    committedWith = `${pending.digest}:${pending.file.size}`;
    if (fixed && !isFixedFile(pending.file, pending.digest)) forgetFixed(); // replaced by this
    form.dataset.committed = answer.token;
    showFixed(answer);
    // Closed already (delivered from another tab, expired, replaced): the completion says
    // which, and answers the receipt if it was delivered.
    step = answer.state === "open" ? "put" : "complete";
    transmit();
  }

  // Once fixed, the page says so: the upload's moment, and until when the bytes can follow.
  function showFixed(answer) {
    if (fixed && isFixedFile(pending.file, pending.digest)) return; // the page says it above
    fixedBox.textContent = say(
      gettext(
        "Your file was fixed on %(committed)s: your upload counts from that moment once the " +
          "file arrives, which it can until %(deliver_by)s. If the connection fails, keep this " +
          "page open, or come back to this link before then and choose the same file.",
      ),
      { committed: answer.committed_at_text, deliver_by: answer.deliver_by_text },
    );
    fixedBox.hidden = false;
  }

  // Step 2: the bytes, straight to storage (or, where storage cannot take them itself, to
  // the app), with exactly the headers the server signed.
  function put() {
    setState("sending");
    const file = pending.file;
    setProgress(0, file.size);
    progressBox.hidden = false;
    status.textContent = say(gettext("Step 2 of 3: sending %(name)s…"), { name: file.name });
    const xhr = request("PUT", commitment.put_url, sent, "commit", commitment.put_headers);
    xhr.upload.addEventListener("progress", (e) => {
      if (e.lengthComputable) setProgress(Math.min(e.loaded, file.size), file.size);
    });
    xhr.upload.addEventListener("load", () => setProgress(file.size, file.size));
    xhr.send(file);
  }

  function sent(xhr) {
    if (xhr.status >= 200 && xhr.status < 300) {
      step = "complete";
      transmit();
      return;
    }
    const answer = answerOf(xhr);
    if (answer && answer.error) {
      refused(xhr, answer); // the app's own refusal of the bytes
      return;
    }
    // Storage refused the PUT (its URL expired, say): the completion tells what stands.
    storageRefused = xhr.status;
    step = "complete";
    transmit();
  }

  // Step 3: the server checks what storage holds and records the upload. Completing again
  // is harmless: the same receipt.
  function complete() {
    setState("checking");
    status.textContent = gettext("Step 3 of 3: checking what arrived…");
    request("POST", commitment.complete_url, completed, "complete").send();
  }

  function completed(xhr) {
    const answer = answerOf(xhr);
    if (xhr.status === 200 && answer && answer.receipt_url) {
      openReceipt(new URL(answer.receipt_url, window.location.href));
      return;
    }
    if (xhr.status === 409 && answer && answer.code === "not_delivered") {
      // The bytes did not arrive: send them again, with a fresh URL (a commit again).
      if (storageRefused) {
        const why = say(gettext("Our file storage refused the file (error %(status)s)."), {
          status: storageRefused,
        });
        refused(xhr, answer, why);
        return;
      }
      notDelivered += 1;
      step = "commit";
      if (notDelivered <= 2) transmit();
      else interrupted();
      return;
    }
    refused(xhr, answer);
  }

  // The server refused: its words in the page's error area. Refusals that end the
  // commitment let a later try start afresh; those that end the page's uploads show the page's
  // facts as they now are.
  function refused(xhr, answer, before) {
    const code = answer && answer.code;
    if (["commitment_replaced", "commitment_expired", "token_taken"].includes(code)) {
      forgetCommitment();
      forgetFixed();
    }
    if (!answer || !answer.error) {
      if (xhr.responseText && /<html/i.test(xhr.responseText)) showServerAnswer(xhr);
      else failed(notAccepted(xhr));
      return;
    }
    const messages = before ? [before, answer.error] : answer.error;
    if (["no_uploads_left", "exam_closed", "not_open_yet", "commitment_expired"].includes(code)) {
      const page = new XMLHttpRequest();
      page.open("GET", window.location.href);
      page.addEventListener("load", () => {
        if (page.status === 200) {
          takeFacts(new DOMParser().parseFromString(page.responseText, "text/html"));
        }
      });
      page.send();
    }
    failed(messages);
  }

  function forgetCommitment() {
    commitment = null;
    committedWith = null;
    delete form.dataset.committed;
    fixedBox.hidden = true;
    tokenInput.value = freshToken();
  }

  // The file fixed before this page was opened is no longer waiting for its bytes.
  function forgetFixed() {
    fixed = null;
    document.getElementById("commitment")?.remove();
  }

  function freshToken() {
    const bytes = crypto.getRandomValues(new Uint8Array(24));
    return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_");
  }

  // The connection dropped before the server answered: keep the file and the body, say so,
  // and send them again after 2, 4, 8, 16, then every 30 seconds, or at once when the
  // browser is back online or the student asks.
  function interrupted() {
    if (!pending) return;
    setState("retrying");
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
