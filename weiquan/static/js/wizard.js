// Contact rows: show "what was promised" only when the answer was a promise. Without JS every field stays visible.
(function () {
  function sync(row) {
    var response = row.querySelector("select[name$='-response']");
    var promise = row.querySelector("[data-when-response]");
    if (!response || !promise) return;
    var filled = Array.prototype.some.call(promise.querySelectorAll("input"), function (i) { return i.value; });
    promise.hidden = response.value !== promise.dataset.whenResponse && !filled;
  }
  document.querySelectorAll("[data-contact-row]").forEach(function (row) {
    sync(row);
    row.addEventListener("change", function () { sync(row); });
  });
})();
