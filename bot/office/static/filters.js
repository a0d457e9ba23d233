// Today's filters are folded behind "Saring" (a <details>) so that on a phone the orders
// come first; on a wider screen they are opened at once. (A file of its own: no inline
// script runs on the office's pages, by their Content-Security-Policy.)
document.addEventListener("DOMContentLoaded", function () {
  if (!window.matchMedia("(min-width: 641px)").matches) return;
  document.querySelectorAll("details[data-open-wide]").forEach(function (box) {
    box.open = true;
  });
});
