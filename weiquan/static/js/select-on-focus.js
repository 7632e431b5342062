// Selects the whole value of a read-only field (the calendar subscription address) when it gets focus, so it can
// be copied in one step. A static file instead of an onfocus attribute: the Content-Security-Policy allows no
// inline script.
document.querySelectorAll("[data-select-on-focus]").forEach((input) => {
  input.addEventListener("focus", () => input.select());
});
