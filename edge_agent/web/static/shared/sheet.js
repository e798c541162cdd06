// A modal sheet (a <dialog>): a form, an error line, Cancel and a primary button. Escape or
// Cancel closes it; the caller handles the submit. Texts are set by the caller as text, never
// as HTML from data.
export function openSheet({ className = "", html, cancel, submit }) {
  const dialog = document.createElement("dialog");
  dialog.className = `sheet ${className}`.trim();
  dialog.innerHTML = `<form method="dialog" novalidate>${html}<p class="sheet-error" role="alert"></p>
    <div class="sheet-actions"><button type="button" class="btn" value="cancel"></button><button type="submit" class="btn btn-primary"></button></div></form>`;
  dialog.querySelector("button[value=cancel]").textContent = cancel;
  dialog.querySelector("button[type=submit]").textContent = submit;
  document.body.append(dialog);
  dialog.showModal();
  const sheet = {
    dialog,
    form: dialog.querySelector("form"),
    error: dialog.querySelector(".sheet-error"),
    submitButton: dialog.querySelector("button[type=submit]"),
    onClose: () => {},
    close() { dialog.close(); dialog.remove(); sheet.onClose(); },
  };
  dialog.querySelector("button[value=cancel]").addEventListener("click", () => sheet.close());
  dialog.addEventListener("cancel", (event) => { event.preventDefault(); sheet.close(); });
  return sheet;
}
