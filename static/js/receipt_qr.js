// The receipt's QR code of the signed statement, drawn here rather than on the server, where
// it cost more CPU than the rest of the page at the deadline rush. lean-qr ships ES modules
// only; this script imports them by the addresses the page gives, their hashed static names.
// Without JavaScript the page shows the server's drawing (<noscript>).
(() => {
  const figure = document.querySelector(".receipt-qr[data-qr]");
  if (!figure) return;
  Promise.all([import(figure.dataset.qrLibrary), import(figure.dataset.qrSvg)])
    .then(([{ generate, correction }, { toSvg }]) => {
      // At least level L, as the server's; lean-qr takes a higher one if the code stays as small.
      const code = generate(figure.dataset.qr, { minCorrectionLevel: correction.L });
      const svg = toSvg(code, document, { pad: 4, scale: 2 }); // the quiet zone: 4 modules
      svg.classList.add("qr");
      figure.prepend(svg);
      figure.dataset.drawn = "yes";
    })
    .catch(() => {
      // The library did not load (or could not draw it): the server's image, as without
      // JavaScript.
      const noscript = figure.querySelector("noscript");
      noscript.insertAdjacentHTML("afterend", noscript.textContent);
      figure.dataset.drawn = "server";
    });
})();
