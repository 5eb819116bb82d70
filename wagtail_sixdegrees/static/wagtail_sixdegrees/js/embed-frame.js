/* wagtail-sixdegrees donate widget: tells the page embedding it how tall it is, so that page can
   size its iframe (see docs/integrators/widget.md). Only the height is sent. */
(function () {
  "use strict";
  if (window.parent === window) return;
  var last = 0;
  function report() {
    var height = document.documentElement.scrollHeight;
    if (height !== last) {
      last = height;
      window.parent.postMessage({ sixdegrees: "embed-height", height: height }, "*");
    }
  }
  window.addEventListener("load", report);
  if ("ResizeObserver" in window) new ResizeObserver(report).observe(document.body);
})();
