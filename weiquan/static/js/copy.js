// 复制 buttons: copy one box's text. navigator.clipboard where the page is allowed to use it (HTTPS, Android
// Chrome, desktop); otherwise a temporary read-only textarea and execCommand("copy"), which iOS Safari needs a
// selection range for. Loaded as a file: the pages carry no inline script (Content-Security-Policy).
(function () {
  var status = document.querySelector("[data-copy-status]");

  function say(text) {
    if (status) { status.textContent = ""; status.textContent = text; }
  }

  function fallback(text) {
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "copy-scratch";
    document.body.appendChild(area);
    var ok = false;
    try {
      area.focus();
      area.select();
      area.setSelectionRange(0, text.length); // iOS Safari ignores select() on its own
      ok = document.execCommand("copy");
    } catch (e) {
      ok = false;
    }
    document.body.removeChild(area);
    return ok;
  }

  function copied(button, ok) {
    var label = button.getAttribute("data-label") || button.textContent;
    button.setAttribute("data-label", label);
    button.textContent = ok ? "已复制" : "请长按文字复制";
    button.classList.toggle("done", ok);
    say(ok ? "已复制：" + (document.getElementById(button.getAttribute("aria-describedby")) || {}).textContent : "没能自动复制，请长按文字手动复制");
    window.setTimeout(function () { button.textContent = label; button.classList.remove("done"); }, 2500);
  }

  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    button.addEventListener("click", function () {
      var source = document.getElementById(button.getAttribute("data-copy"));
      if (!source) return;
      var text = source.tagName === "TEXTAREA" || source.tagName === "INPUT" ? source.value : source.textContent;
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(
          function () { copied(button, true); },
          function () { copied(button, fallback(text)); }
        );
      } else {
        copied(button, fallback(text));
      }
    });
  });
})();
