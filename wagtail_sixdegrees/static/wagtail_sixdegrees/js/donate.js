/* wagtail-sixdegrees donate form: optional enhancements only; the form works without this. */
(function () {
  "use strict";
  function feeToAdd(amount, code, data) {
    var fixed = data.fixed[code] || 0, rate = data.rateBps, step = data.step[code] || 1;
    if (!amount || (rate <= 0 && fixed <= 0) || rate >= 10000) return 0;
    var gross = Math.ceil(((amount + fixed) * 10000) / (10000 - rate));
    return Math.ceil(gross / step) * step - amount;
  }
  function toMinor(text, code, data) {
    var exponent = data.exponent[code], clean = String(text).replace(/[\s\u00a0]/g, "");
    if (!/^\d+([.,]\d+)?$/.test(clean)) return 0;
    var parts = clean.split(/[.,]/), fraction = (parts[1] || "").slice(0, exponent);
    while (fraction.length < exponent) fraction += "0";
    return parseInt(parts[0], 10) * Math.pow(10, exponent) + (fraction ? parseInt(fraction, 10) : 0);
  }
  function format(minor, code, data) {
    try {
      return new Intl.NumberFormat(data.locale, { style: "currency", currency: code })
        .format(minor / Math.pow(10, data.exponent[code]));
    } catch (error) { return (minor / Math.pow(10, data.exponent[code])) + " " + code; }
  }
  function enhance(form) {
    var dataNode = document.getElementById(form.getAttribute("data-sd-donate"));
    var data = dataNode ? JSON.parse(dataNode.textContent) : null;
    var currency = form.querySelector("[data-sd-currency]");
    var custom = form.querySelector("[data-sd-amount]");
    var fee = form.querySelector("[data-sd-fee]");
    var total = form.querySelector("[data-sd-split-total]");
    var presets = form.querySelector("[data-sd-presets]");
    // Other currencies' amounts arrive in <template>s (inert without JavaScript): show them here.
    form.querySelectorAll("template[data-sd-presets-for]").forEach(function (template) {
      if (presets) presets.appendChild(template.content.cloneNode(true));
    });
    function code() { return currency ? currency.value : (form.elements.currency || {}).value; }
    function amount() {
      if (custom && custom.value.trim()) return toMinor(custom.value, code(), data);
      var picked = form.querySelector("input[name=suggested]:checked");
      if (!picked || picked.value === "other") return 0;
      return toMinor(picked.value.split(":")[1], code(), data);
    }
    function update() {
      form.querySelectorAll("[data-currency]").forEach(function (label) {
        var shown = label.getAttribute("data-currency") === code();
        label.hidden = !shown;
        var input = label.querySelector("input");
        input.disabled = !shown;
        if (!shown) input.checked = false;
      });
      form.querySelectorAll("[data-sd-methods]").forEach(function (line) {
        line.hidden = line.getAttribute("data-sd-methods") !== code();
      });
      var monthly = form.querySelector("input[name=frequency][value=monthly]");
      form.querySelectorAll("[data-sd-monthly-note]").forEach(function (note) {
        note.hidden = !!monthly && !monthly.checked;
      });
      if (fee && data) {
        var base = amount(), extra = feeToAdd(base, code(), data);
        if (base && extra) fee.textContent = "+ " + format(extra, code(), data) + " = " + format(base + extra, code(), data);
      }
      if (total) {
        var sum = 0, used = 0;
        form.querySelectorAll("[data-sd-share]").forEach(function (input) {
          if (input.value) { sum += parseInt(input.value, 10) || 0; used += 1; }
        });
        total.textContent = used > 1 ? sum + "% / 100%" : "";
      }
    }
    if (custom) custom.addEventListener("input", function () {
      // A typed amount replaces a picked one (the server reads the typed one first, too).
      if (custom.value.trim()) form.querySelectorAll("input[name=suggested]").forEach(function (radio) {
        radio.checked = radio.value === "other";
      });
      update();
    });
    form.querySelectorAll("input[name=suggested]").forEach(function (radio) {
      radio.addEventListener("change", function () {
        if (radio.value !== "other" && custom) custom.value = "";
        update();
      });
    });
    // Update while typing, so nothing moves under the pointer when a field loses focus.
    form.addEventListener("input", update);
    form.addEventListener("change", update);
    var sent = false;
    form.addEventListener("submit", function (event) {
      // One click, one gift (the server also recognises a resubmission of the same form).
      if (sent) event.preventDefault();
      sent = true;
    });
    window.addEventListener("pageshow", function () { sent = false; });
    var summary = form.querySelector("[data-sd-error-summary]");
    if (summary) summary.focus();
    update();
  }
  function start() { document.querySelectorAll("form[data-sd-donate]").forEach(enhance); }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
