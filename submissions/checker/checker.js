// The offline receipt checker: everything it needs is in this one page (the site's public
// keys, its words, an Ed25519 implementation for browsers whose WebCrypto lacks one), and
// the page's own Content Security Policy forbids it any network access.
const data = JSON.parse(document.getElementById("checker-data").textContent);
const words = data.words;
const form = document.getElementById("checker");
const result = document.getElementById("result");

const fill = (text, values) => text.replace(/%\((\w+)\)s/g, (_, name) => String(values[name]));

function bytes(base64url) {
  const text = base64url.replace(/-/g, "+").replace(/_/g, "/");
  const binary = atob(text + "=".repeat((4 - (text.length % 4)) % 4));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

const utf8 = (raw) => new TextDecoder("utf-8", { fatal: true }).decode(raw);

async function ed25519(signature, message, publicKey) {
  try {
    const key = await crypto.subtle.importKey("raw", publicKey, { name: "Ed25519" }, false, [
      "verify",
    ]);
    return [await crypto.subtle.verify({ name: "Ed25519" }, key, signature, message), "webcrypto"];
  } catch (error) {
    if (error && error.name !== "NotSupportedError" && error.name !== "TypeError") throw error;
    try {
      return [await verifyAsync(signature, message, publicKey, { zip215: false }), "noble"];
    } catch {
      return [false, "noble"];
    }
  }
}

function read(text) {
  text = text.replace(/^\uFEFF/, "").trim();
  if (text.startsWith("{")) {
    try {
      const parsed = JSON.parse(text);
      if (parsed && typeof parsed.jws === "string") {
        const facts = parsed.facts && typeof parsed.facts === "object" ? parsed.facts : {};
        return [parsed.jws.trim(), facts];
      }
    } catch {
      return [null, null];
    }
    return [null, null];
  }
  if (text.split(".").length === 3 && !/\s/.test(text)) return [text, null];
  return [null, null];
}

const order = Object.keys(data.labels);
const place = (name) => (order.includes(name) ? order.indexOf(name) : order.length);
const shown = (value) => (value === undefined ? words.nothing : JSON.stringify(value));
const TIME = /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)Z$/;

function readable(value) {
  if (value === true) return words.yes;
  if (value === false) return words.no;
  const time = TIME.exec(String(value));
  return time ? `${time[1]} ${time[2]} UTC` : String(value);
}

async function check(receiptText, fileDigest) {
  const outcome = { problems: [], facts: {}, kid: "", valid: false, engine: "" };
  const [token, readable] = read(receiptText);
  if (!token) {
    outcome.problems.push(words.not_a_receipt);
    return outcome;
  }
  const [head, body, signature] = token.split(".");
  let header;
  try {
    header = JSON.parse(utf8(bytes(head)));
    outcome.kid = typeof header.kid === "string" ? header.kid : "";
  } catch {
    outcome.problems.push(words.unreadable);
    return outcome;
  }
  const key = data.keys.find((k) => k.kid === outcome.kid);
  if (!key) {
    const known = data.keys.map((k) => k.kid).join(", ");
    outcome.problems.push(fill(words.unknown_key, { kid: outcome.kid || "?", known }));
    return outcome;
  }
  let good = false;
  try {
    const message = new TextEncoder().encode(`${head}.${body}`);
    [good, outcome.engine] = await ed25519(bytes(signature), message, bytes(key.x));
    if (header.alg !== "Ed25519") good = false;
    outcome.facts = JSON.parse(utf8(bytes(body)));
  } catch {
    good = false;
  }
  if (!good || typeof outcome.facts !== "object" || outcome.facts === null) {
    outcome.facts = {};
    outcome.problems.push(fill(words.bad_signature, { kid: outcome.kid }));
    return outcome;
  }
  if (readable) {
    const names = [...new Set([...Object.keys(readable), ...Object.keys(outcome.facts)])];
    names.sort((a, b) => place(a) - place(b) || a.localeCompare(b));
    for (const name of names) {
      if (JSON.stringify(readable[name]) !== JSON.stringify(outcome.facts[name])) {
        outcome.problems.push(
          fill(words.disagrees, {
            fact: data.labels[name] || name,
            readable: shown(readable[name]),
            signed: shown(outcome.facts[name]),
          }),
        );
      }
    }
  }
  if (outcome.facts.site !== data.site) {
    outcome.problems.push(fill(words.other_site, { named: outcome.facts.site, site: data.site }));
  }
  if (fileDigest) {
    outcome.fileMatches = fileDigest.sha256 === outcome.facts.sha256;
    if (!outcome.fileMatches) {
      outcome.problems.push(
        fill(words.file_differs, {
          name: fileDigest.name,
          file: fileDigest.sha256,
          receipt: outcome.facts.sha256,
        }),
      );
    }
  }
  outcome.valid = outcome.problems.length === 0;
  return outcome;
}

async function sha256(file) {
  const digest = await crypto.subtle.digest("SHA-256", await file.arrayBuffer());
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

function element(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className) node.className = className;
  return node;
}

function show(outcome, fileDigest) {
  result.replaceChildren();
  result.hidden = false;
  result.dataset.state = outcome.valid ? "valid" : "invalid";
  result.dataset.engine = outcome.engine;
  result.className = outcome.valid ? "result valid" : "result invalid";
  const verdict = outcome.valid
    ? fill(words.valid, { site: data.site_name, kid: outcome.kid })
    : words.invalid;
  result.append(element("h2", verdict));
  if (outcome.valid && fileDigest) {
    result.append(element("p", fill(words.file_matches, { name: fileDigest.name }), "match"));
  } else if (outcome.valid) {
    result.append(element("p", words.no_file));
  }
  if (outcome.problems.length) {
    const list = element("ul", undefined, "problems");
    for (const problem of outcome.problems) list.append(element("li", problem));
    result.append(list);
  }
  const names = Object.keys(outcome.facts).sort((a, b) => place(a) - place(b));
  if (names.length) {
    result.append(element("h3", words.signed_facts));
    const table = element("dl");
    for (const name of names) {
      table.append(element("dt", data.labels[name] || name));
      table.append(element("dd", readable(outcome.facts[name])));
    }
    result.append(table);
  }
  result.focus();
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const receipt = form.elements.receipt.files[0];
  const answer = form.elements.answer.files[0];
  if (!receipt) {
    show({ problems: [words.choose_receipt], facts: {}, valid: false, engine: "" });
    return;
  }
  if (!(window.crypto && crypto.subtle)) {
    // Browsers give WebCrypto (and so SHA-512 and SHA-256) only to secure pages.
    show({ problems: [words.no_crypto], facts: {}, valid: false, engine: "" });
    return;
  }
  let fileDigest = null;
  if (answer) {
    fileDigest = { name: answer.name, sha256: await sha256(answer) };
  }
  show(await check(await receipt.text(), fileDigest), fileDigest);
});

for (const zone of document.querySelectorAll("[data-drop]")) {
  const input = document.getElementById(zone.dataset.drop);
  zone.addEventListener("dragover", (event) => {
    event.preventDefault();
    zone.classList.add("over");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("over");
    if (event.dataTransfer.files.length) {
      input.files = event.dataTransfer.files;
      input.dispatchEvent(new Event("change"));
    }
  });
}
document.body.dataset.ready = "true";
