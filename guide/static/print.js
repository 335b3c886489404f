// Progressive enhancement: a "Print" button on the summary (without JavaScript, the browser's
// own print menu works the same).
document.querySelectorAll("[data-print]").forEach(function (button) {
  button.hidden = false;
  button.addEventListener("click", function () { window.print(); });
});
