// 转介: hand the customer to a relationship manager. The teller ticks the manuals' signs of a
// valuable customer (优质客户识别参考特征) for the ticket at the counter; the lobby manager
// refers a VIP from the alert. To the RM pool, or a named RM from staff/state.
import { current as branch } from "./branch.js";
import { explain } from "./errors.js";
import { applyTexts, named, t } from "./i18n.js";
import { openSheet } from "./sheet.js";

const TEXTS = {
  refer_title: ["转介客户经理", "Refer to a relationship manager"],
  refer_sub: ["号码 {ticket}", "Ticket {ticket}"],
  reasons: ["转介理由（可多选）", "Why (tick all that apply)"],
  to: ["转介至", "Refer to"],
  pool: ["客户经理组（谁有空谁接）", "RM pool (first free RM)"],
  destination: ["接待地点", "Where"],
  to_rm_desk: ["理财经理", "RM's desk"],
  to_vip_room: ["贵宾理财室", "VIP wealth room"],
  customer_name: ["客户称呼", "How to address the customer"],
  customer_hint: ["例如：李女士", "e.g. Ms Li"],
  note: ["备注", "Note"],
  cancel: ["取消", "Cancel"],
  send: ["转介", "Refer"],
  sending: ["正在转介…", "Referring…"],
  need_reason: ["请至少勾选一项理由，或填写备注", "Tick at least one reason, or write a note"],
};

function option(value, text) { return new Option(text, value); }

// Resolves with the referral (answer.data.referral) or null when cancelled.
export function openReferDialog({ staff, ticket = null, alertId = null, customerName = "", rms = [], askReasons = true }) {
  const sheet = openSheet({
    className: "refer", cancel: t(TEXTS.cancel), submit: t(TEXTS.send),
    html: `<h2 data-t="refer_title"></h2>
      <p class="sub"></p>
      ${askReasons ? '<div class="field-title"><b data-t="reasons"></b></div><div class="checks"></div>' : ""}
      <div class="row2">
        <label class="field"><span data-t="to"></span><select name="to_rm"></select></label>
        <label class="field"><span data-t="destination"></span><select name="destination"></select></label>
      </div>
      <div class="row2">
        <label class="field"><span data-t="customer_name"></span><input type="text" name="customer_name" maxlength="20" data-t-placeholder="customer_hint"></label>
        <label class="field"><span data-t="note"></span><input type="text" name="note" maxlength="200"></label>
      </div>`,
  });
  const { dialog, form, error, submitButton } = sheet;
  if (askReasons) {
    // Labels come from branch.toml: set as text, never as HTML.
    dialog.querySelector(".checks").replaceChildren(...branch().triggers.map((trigger) => {
      const label = document.createElement("label");
      label.className = "check";
      label.innerHTML = '<input type="checkbox" name="trigger"><span></span>';
      label.firstChild.value = trigger.code;
      label.lastChild.textContent = t([trigger.name_zh, trigger.name_en]);
      return label;
    }));
  }
  applyTexts(TEXTS, dialog);
  dialog.querySelector(".sub").textContent = t(TEXTS.refer_sub, { ticket: ticket || "" });
  form.to_rm.replaceChildren(option("", t(TEXTS.pool)), ...rms.map((rm) => option(rm.staff_id, `${rm.name} (${rm.staff_id})`)));
  form.destination.replaceChildren(option("rm", t(TEXTS.to_rm_desk)), option("vip_room", t(TEXTS.to_vip_room)));
  form.customer_name.value = customerName;
  return new Promise((resolve) => {
    let referral = null;
    sheet.onClose = () => resolve(referral);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const codes = [...form.querySelectorAll("input[name=trigger]:checked")].map((box) => box.value);
      const note = form.note.value.trim();
      if (askReasons && !codes.length && !note) { error.textContent = t(TEXTS.need_reason); return; }
      const fields = { triggers: codes, note, customer_name: form.customer_name.value.trim(), destination: form.destination.value };
      if (form.to_rm.value) fields.to_rm = form.to_rm.value;
      if (ticket && !alertId) fields.ticket = ticket;
      if (alertId) fields.alert_id = alertId;
      submitButton.disabled = true;
      submitButton.textContent = t(TEXTS.sending);
      const answer = await staff.request("refer", fields);
      submitButton.disabled = false;
      submitButton.textContent = t(TEXTS.send);
      if (answer.status === "ok") { referral = answer.data.referral; sheet.close(); }
      else error.textContent = explain(answer);
    });
  });
}

// Who a referral went to, in words.
export function referredTo(referral) {
  return referral.to_rm_name || t(["客户经理组", "the RM pool"]);
}

export function triggerNames(codes) {
  const known = Object.fromEntries(branch().triggers.map((trigger) => [trigger.code, trigger]));
  return codes.map((code) => (known[code] ? named({ name_zh: known[code].name_zh, name_en: known[code].name_en }) : code));
}
