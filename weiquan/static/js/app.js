// Record form: show only the fields that matter for the chosen event. Without JS every field stays visible.
(function () {
  var form = document.querySelector("[data-record-form]");
  if (!form) return;
  function sync() {
    var checked = form.querySelector("input[name='event']:checked");
    var event = checked ? checked.value : "";
    form.querySelectorAll("[data-events]").forEach(function (el) {
      var filled = Array.prototype.some.call(el.querySelectorAll("input, textarea"), function (i) { return i.value && !i.hasAttribute("data-prefilled"); });
      el.hidden = event === "" ? false : el.dataset.events.split(" ").indexOf(event) === -1 && !filled;
    });
  }
  form.addEventListener("change", sync);
  sync();
})();

// Upload: the native file inputs are hidden behind Chinese buttons; show which file was picked.
(function () {
  var shown = document.querySelector("[data-file-name]");
  if (!shown) return;
  document.querySelectorAll("input.file").forEach(function (input) {
    input.addEventListener("change", function () {
      shown.textContent = input.files.length ? "已选择：" + input.files[0].name : "";
    });
  });
})();

// Folded sections (<details>): a link to one of them (#record, #evidence …) opens it before jumping there.
(function () {
  function open(hash) {
    if (!hash || hash.length < 2) return;
    var target = document.getElementById(decodeURIComponent(hash.slice(1)));
    var details = target && (target.tagName === "DETAILS" ? target : target.closest("details"));
    if (details && !details.open) details.open = true;
  }
  open(window.location.hash);
  window.addEventListener("hashchange", function () { open(window.location.hash); });
  document.addEventListener("click", function (e) {
    var link = e.target.closest && e.target.closest("a[href^='#']");
    if (link) open(link.getAttribute("href"));
  });
})();
