// "Scan pages": photos of paper pages, taken or chosen on the phone, become one PDF in the
// page, made smaller until it fits the exam's limit. The student sees the pages as
// thumbnails and can reorder, turn and remove them. The PDF is then the chosen file of the
// upload form (upload.js sends it as any other file). The PDF library (pdf-lib, vendored in
// static/vendor/) is loaded only when a student starts scanning. Photos are decoded by the
// browser itself; a photo it cannot open (HEIC outside Safari) is refused with what to do.
(() => {
  const scan = document.getElementById("scan");
  const form = document.getElementById("upload-form");
  if (!scan || !form || !window.Blob || !window.URL || !document.createElement("canvas").toBlob) {
    return;
  }
  scan.hidden = false;

  const picker = document.getElementById("scan-input");
  const list = document.getElementById("scan-pages");
  const status = document.getElementById("scan-status");
  const actions = document.getElementById("scan-actions");
  const make = document.getElementById("scan-make");
  const maxBytes = Number(form.dataset.maxBytes);
  const refusals = JSON.parse(document.getElementById("type-refusals")?.textContent || "{}");
  // Long side in pixels and JPEG quality, best first; the last is the smallest that keeps
  // handwriting readable on an A4 page (about 85 dots per inch).
  const LEVELS = [
    { pixels: 2000, quality: 0.85 },
    { pixels: 1600, quality: 0.8 },
    { pixels: 1400, quality: 0.72 },
    { pixels: 1200, quality: 0.66 },
    { pixels: 1000, quality: 0.6 },
  ];
  const A4 = [595.28, 841.89];
  const MAX_PAGES = Number(scan.dataset.maxPages) || 40;
  let pages = []; // {file, turn (quarter turns clockwise), url}
  let library = null;
  let working = false;

  function say(text, values) {
    return interpolate(text, values, true);
  }

  function tell(text, isError) {
    status.textContent = text;
    status.className = isError ? "error-box" : "help";
  }

  function loadLibrary() {
    if (!library) {
      library = new Promise((resolve, reject) => {
        const script = document.createElement("script");
        script.src = scan.dataset.pdfLib;
        script.onload = () => resolve(window.PDFLib);
        script.onerror = () => {
          library = null;
          reject(new Error("pdf-lib"));
        };
        document.head.append(script);
      });
    }
    return library;
  }

  function heicAdvice(name) {
    const ext = name.includes(".") ? name.split(".").pop().toLowerCase() : "";
    return refusals[ext] ? say(refusals[ext], { name, ext }) : "";
  }

  function decode(file) {
    // The browser applies the photo's EXIF orientation in both ways of decoding.
    if (window.createImageBitmap) {
      return createImageBitmap(file, { imageOrientation: "from-image" });
    }
    return new Promise((resolve, reject) => {
      const image = new Image();
      const url = URL.createObjectURL(file);
      image.onload = () => resolve(image);
      image.onerror = reject;
      image.src = url;
    });
  }

  async function add(files) {
    const photos = Array.from(files);
    if (!photos.length) return;
    loadLibrary().catch(() => {}); // fetched while the student looks at the thumbnails
    const refused = [];
    for (const file of photos) {
      if (pages.length >= MAX_PAGES) {
        refused.push(say(gettext("At most %(max)s pages fit in one PDF."), { max: MAX_PAGES }));
        break;
      }
      try {
        const bitmap = await decode(file);
        if (bitmap.close) bitmap.close();
      } catch {
        const ext = file.name.split(".").pop().toLowerCase();
        refused.push(
          ext === "heic" || ext === "heif"
            ? say(
                gettext(
                  "This browser cannot open “%(name)s”, an iPhone photo in HEIC format. " +
                    "Choose it again through “Photo Library” (the iPhone then sends JPEG), or " +
                    "set Settings → Camera → Formats → Most Compatible and take it again.",
                ),
                { name: file.name },
              )
            : say(gettext("“%(name)s” could not be opened as a photo, so it was not added."), {
                name: file.name,
              }),
        );
        continue;
      }
      pages.push({ file, turn: 0, url: URL.createObjectURL(file) });
    }
    delete scan.dataset.ready;
    render();
    form.dispatchEvent(new CustomEvent("scan-changed"));
    scan.scrollIntoView({ block: "nearest" });
    if (refused.length) tell(refused.join(" "), true);
    else tell(pageCount(), false);
  }

  function pageCount() {
    return say(ngettext("%(count)s page. ", "%(count)s pages. ", pages.length), {
      count: pages.length,
    }) + gettext("Check their order, then press “Make PDF”.");
  }

  function button(label, text, action, disabled) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = "icon";
    b.textContent = text;
    b.setAttribute("aria-label", label);
    b.title = label;
    b.disabled = Boolean(disabled);
    b.addEventListener("click", action);
    return b;
  }

  function render() {
    list.replaceChildren();
    pages.forEach((page, index) => {
      const number = index + 1;
      const item = document.createElement("li");
      item.className = "scan-page";
      item.dataset.testid = "scan-page";
      const frame = document.createElement("div");
      frame.className = "scan-thumb";
      const img = document.createElement("img");
      img.src = page.url;
      img.alt = say(gettext("Page %(number)s"), { number });
      img.style.transform = `rotate(${page.turn * 90}deg)`;
      frame.append(img);
      const label = document.createElement("span");
      label.textContent = say(gettext("Page %(number)s"), { number });
      const tools = document.createElement("span");
      tools.className = "scan-tools";
      tools.append(
        button(say(gettext("Move page %(number)s up"), { number }), "↑", () => move(index, -1), index === 0),
        button(
          say(gettext("Move page %(number)s down"), { number }),
          "↓",
          () => move(index, 1),
          index === pages.length - 1,
        ),
        button(say(gettext("Turn page %(number)s"), { number }), "↻", () => turn(index)),
        button(say(gettext("Remove page %(number)s"), { number }), "✕", () => remove(index)),
      );
      item.append(frame, label, tools);
      list.append(item);
    });
    actions.hidden = pages.length === 0;
  }

  function changed() {
    delete scan.dataset.ready;
    render();
    tell(pages.length ? pageCount() : "", false);
    form.dispatchEvent(new CustomEvent("scan-changed"));
  }

  function move(index, by) {
    const [page] = pages.splice(index, 1);
    pages.splice(index + by, 0, page);
    changed();
  }

  function turn(index) {
    pages[index].turn = (pages[index].turn + 1) % 4;
    changed();
  }

  function remove(index) {
    URL.revokeObjectURL(pages[index].url);
    pages.splice(index, 1);
    changed();
  }

  // One page as a JPEG of at most `pixels` on its long side, turned as the student chose.
  async function jpeg(source, turn, level) {
    const bitmap = await decode(source);
    const width = bitmap.width;
    const height = bitmap.height;
    const scale = Math.min(1, level.pixels / Math.max(width, height));
    const w = Math.round(width * scale);
    const h = Math.round(height * scale);
    const sideways = turn % 2 === 1;
    const canvas = document.createElement("canvas");
    canvas.width = sideways ? h : w;
    canvas.height = sideways ? w : h;
    const context = canvas.getContext("2d");
    context.fillStyle = "#fff";
    context.fillRect(0, 0, canvas.width, canvas.height);
    context.translate(canvas.width / 2, canvas.height / 2);
    context.rotate((turn * Math.PI) / 2);
    context.drawImage(bitmap, -w / 2, -h / 2, w, h);
    if (bitmap.close) bitmap.close();
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", level.quality));
    canvas.width = canvas.height = 0; // frees the pixels at once on phones
    return { blob, width: sideways ? h : w, height: sideways ? w : h };
  }

  async function pdfOf(images, PDFLib) {
    const doc = await PDFLib.PDFDocument.create();
    for (const image of images) {
      const embedded = await doc.embedJpg(await image.blob.arrayBuffer());
      const [short, long] = A4;
      const size = image.width > image.height ? [long, short] : [short, long];
      const page = doc.addPage(size);
      const fit = Math.min(size[0] / image.width, size[1] / image.height);
      const w = image.width * fit;
      const h = image.height * fit;
      page.drawImage(embedded, { x: (size[0] - w) / 2, y: (size[1] - h) / 2, width: w, height: h });
    }
    return doc.save();
  }

  async function makePdf() {
    if (working || !pages.length) return null;
    working = true;
    make.disabled = true;
    const count = pages.length;
    tell(say(ngettext("Making a PDF of %(count)s page…", "Making one PDF of %(count)s pages…", count), { count }), false);
    try {
      const PDFLib = await loadLibrary();
      // Each photo once at the best level; the smaller levels start from that copy.
      let sources = null;
      for (const level of LEVELS) {
        const images = [];
        for (const [index, page] of pages.entries()) {
          const from = sources ? sources[index].blob : page.file;
          images.push(await jpeg(from, sources ? 0 : page.turn, level));
        }
        sources = sources || images;
        const bytes = await pdfOf(images, PDFLib);
        if (bytes.length <= maxBytes) {
          return ready(bytes, level);
        }
      }
      const smallest = LEVELS[LEVELS.length - 1];
      tell(
        say(
          gettext(
            "These %(count)s pages do not fit in %(limit)s, even with the photos made as small " +
              "as they can be and stay readable (%(pixels)s pixels). Nothing was sent. Remove " +
              "pages you do not need, or ask your examiner about a larger limit.",
          ),
          { count: pages.length, limit: form.dataset.maxLabel, pixels: smallest.pixels },
        ),
        true,
      );
      return null;
    } catch (error) {
      tell(
        error && error.message === "pdf-lib"
          ? gettext("The PDF maker could not be loaded. Check your connection and try again.")
          : gettext("The PDF could not be made in this browser. Please try again."),
        true,
      );
      return null;
    } finally {
      working = false;
      make.disabled = false;
    }
  }

  function ready(bytes, level) {
    const name = pages.length === 1 ? "scan-1-page.pdf" : `scan-${pages.length}-pages.pdf`;
    const file = new File([bytes], name, { type: "application/pdf" });
    tell(
      say(
        ngettext(
          "Your PDF is ready: %(count)s page, %(size)s (photos at %(pixels)s pixels, quality %(quality)s %). Press “Upload” to hand it in.",
          "Your PDF is ready: %(count)s pages, %(size)s (photos at %(pixels)s pixels, quality %(quality)s %). Press “Upload” to hand it in.",
          pages.length,
        ),
        {
          count: pages.length,
          size: window.depositoryFormatSize ? window.depositoryFormatSize(bytes.length) : bytes.length,
          pixels: level.pixels,
          quality: Math.round(level.quality * 100),
        },
      ),
      false,
    );
    scan.dataset.ready = "true";
    form.dispatchEvent(new CustomEvent("scan-ready", { detail: { file, level } }));
    return file;
  }

  scan.querySelector("#scan-add").addEventListener("click", () => picker.click());
  document.getElementById("scan-more").addEventListener("click", () => picker.click());
  picker.addEventListener("change", () => {
    add(picker.files).then(() => {
      picker.value = "";
    });
  });
  make.addEventListener("click", makePdf);
  // upload.js hands over photos chosen in the ordinary picker that should become a PDF, and
  // asks for the PDF when the student presses Upload with pages not yet made into one.
  form.addEventListener("scan-add", (event) => add(event.detail.files));
  form.scanPages = () => pages.length;
  form.makeScanPdf = makePdf;
})();
