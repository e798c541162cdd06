// The region filter applies as soon as a region is picked (the button stays for no-script use).
for (const select of document.querySelectorAll("form.filters select")) {
  select.form.querySelector("button.no-script")?.remove();
  select.addEventListener("change", () => select.form.submit());
}
