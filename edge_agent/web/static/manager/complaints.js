// 投诉处理 on the tablet: open complaints and today's, each with its steps and the targets it
// is held to (overdue ones marked); opening one (from a service alert, or for a customer who
// walks up) and moving it on: acknowledged, then resolved or escalated, each with a note.
// This is the complaint view: the contact a customer agreed to give shows whole here only.
import { current as branch } from "../shared/branch.js";
import { explain } from "../shared/errors.js";
import { clockTime, named, t } from "../shared/i18n.js";
import { openSheet } from "../shared/sheet.js";

const WORDS = {
  open: ["待受理", "Open"], acknowledged: ["已受理", "Acknowledged"], resolved: ["已办结", "Resolved"], escalated: ["已上报", "Escalated"],
  to_acknowledged: ["受理", "Acknowledge"], to_resolved: ["办结", "Resolve"], to_escalated: ["上报", "Escalate"],
  late_ack: ["超时未受理", "Not acknowledged in time"], late_resolve: ["超过办结时限", "Past the resolution target"],
  by: ["{name} 登记于 {time}", "Taken by {name} at {time}"], due: ["办结时限 {date}", "Resolve by {date}"],
  none: ["暂无投诉", "No complaints"],
  new_title: ["登记投诉", "Record a complaint"], step_title: ["{step}：{category}", "{step}: {category}"],
  category: ["投诉类别", "Category"], said: ["客户反映的问题", "What the customer said"], ticket: ["号码（可选）", "Ticket (optional)"],
  contact: ["联系电话（可选）", "Phone (optional)"], consent: ["客户同意留下电话，用于回复处理结果", "The customer agrees to leave this number for our answer"],
  note: ["处理说明", "Note"], cancel: ["取消", "Cancel"], save: ["保存", "Save"], need_note: ["请填写说明", "Write a note"],
  need_said: ["请填写客户反映的问题", "Write what the customer said"],
};
const NEXT = { open: ["acknowledged"], acknowledged: ["resolved", "escalated"], escalated: ["resolved"], resolved: [] };

function category(code) {
  const found = branch().complaint_categories.find((c) => c.code === code);
  return found ? named(found) : code;
}

export class Complaints {
  constructor(container, staff) {
    this.container = container;
    this.staff = staff;
    this.complaints = new Map();
    container.querySelector("#complaint-new").addEventListener("click", () => this.openDialog({}));
  }

  replace(list) { this.complaints = new Map(list.map((c) => [c.complaint_id, c])); this.render(); }

  // events/complaint carries the contact masked: keep the whole one this tablet was given.
  update(complaint) {
    const known = this.complaints.get(complaint.complaint_id);
    this.complaints.set(complaint.complaint_id, { ...complaint, contact: complaint.contact || (known && known.contact) || null });
    this.render();
  }

  render() {
    const list = this.container.querySelector("ol");
    list.dataset.empty = t(WORDS.none);
    const shown = [...this.complaints.values()].sort((a, b) => (a.state === "resolved") - (b.state === "resolved") || b.opened_at.localeCompare(a.opened_at));
    list.replaceChildren(...shown.map((c) => this.item(c)));
  }

  item(c) {
    const li = document.createElement("li");
    li.className = `complaint s-${c.state}`;
    li.dataset.complaintId = c.complaint_id;
    li.innerHTML = `<div class="c-top"><span class="referral-state"></span><b class="c-cat"></b><span class="c-ticket num"></span><span class="flags"></span></div>
      <div class="c-said"></div><div class="c-meta muted"></div><div class="c-steps muted"></div><div class="c-actions"></div>`;
    const state = li.querySelector(".referral-state");
    state.classList.add(`s-${c.state === "resolved" ? "converted" : c.state === "open" ? "open" : "accepted"}`);
    state.textContent = t(WORDS[c.state]);
    li.querySelector(".c-cat").textContent = category(c.category);
    li.querySelector(".c-ticket").textContent = c.ticket || "";
    li.querySelector(".flags").replaceChildren(...c.overdue.map((late) => {
      const flag = document.createElement("span");
      flag.className = "flag flag-bad";
      flag.textContent = t(late === "ack" ? WORDS.late_ack : WORDS.late_resolve);
      return flag;
    }));
    li.querySelector(".c-said").textContent = c.said;
    li.querySelector(".c-meta").textContent = [
      t(WORDS.by, { name: c.opened_by_name, time: clockTime(new Date(c.opened_at)) }),
      c.state !== "resolved" ? t(WORDS.due, { date: c.resolve_by.slice(0, 10) }) : "",
      c.contact || c.contact_masked || "",
    ].filter(Boolean).join(" · ");
    li.querySelector(".c-steps").textContent = c.steps.slice(1).map((s) => `${t(WORDS[s.state])} ${clockTime(new Date(s.at))} ${s.by_name}: ${s.note}`).join(" / ");
    li.querySelector(".c-actions").replaceChildren(...NEXT[c.state].map((to) => {
      const button = document.createElement("button");
      button.type = "button";
      button.className = `btn ${to === "resolved" ? "btn-navy" : to === "escalated" ? "" : "btn-primary"}`;
      button.dataset.to = to;
      button.textContent = t(WORDS[`to_${to}`]);
      button.addEventListener("click", () => this.stepDialog(c, to));
      return button;
    }));
    return li;
  }

  _dialog(html) {
    return openSheet({ className: "complaint-dialog", html, cancel: t(WORDS.cancel), submit: t(WORDS.save) });
  }

  // A new complaint; `from` may hold a service alert (its ticket, its id).
  openDialog(from) {
    const { dialog, form, close, error } = this._dialog(`<h2 class="d-title"></h2>
      <label class="field"><span class="l-category"></span><select name="category"></select></label>
      <label class="field"><span class="l-said"></span><textarea name="said" maxlength="500"></textarea></label>
      <div class="row2"><label class="field"><span class="l-ticket"></span><input type="text" name="ticket" maxlength="6"></label>
        <label class="field"><span class="l-contact"></span><input type="tel" name="contact" maxlength="16" autocomplete="off"></label></div>
      <label class="check"><input type="checkbox" name="consent"><span class="l-consent"></span></label>`);
    for (const key of ["category", "said", "ticket", "contact", "consent"]) dialog.querySelector(`.l-${key}`).textContent = t(WORDS[key]);
    dialog.querySelector(".d-title").textContent = t(WORDS.new_title);
    form.category.replaceChildren(...branch().complaint_categories.map((c) => new Option(named(c), c.code)));
    if (from.ticket) { form.ticket.value = from.ticket; form.ticket.readOnly = true; }
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const fields = { category: form.category.value, said: form.said.value.trim() };
      if (!fields.said) { error.textContent = t(WORDS.need_said); return; }
      if (from.event_id) fields.service_alert_id = from.event_id;
      else if (form.ticket.value.trim()) fields.ticket = form.ticket.value.trim().toUpperCase();
      const contact = form.contact.value.replace(/[\s-]/g, "");
      if (contact) { fields.contact = contact; fields.consent = form.consent.checked; }
      const answer = await this.staff.request("complaint_open", fields);
      if (answer.status === "ok") { this.update(answer.data.complaint); close(); } else error.textContent = explain(answer);
    });
    return dialog;
  }

  stepDialog(c, to) {
    const { dialog, form, close, error } = this._dialog(`<h2 class="d-title"></h2><p class="sub"></p>
      <label class="field"><span class="l-note"></span><textarea name="note" maxlength="500"></textarea></label>`);
    dialog.querySelector(".d-title").textContent = t(WORDS.step_title, { step: t(WORDS[`to_${to}`]), category: category(c.category) });
    dialog.querySelector(".sub").textContent = c.said;
    dialog.querySelector(".l-note").textContent = t(WORDS.note);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const note = form.note.value.trim();
      if (!note) { error.textContent = t(WORDS.need_note); return; }
      const answer = await this.staff.request("complaint_update", { complaint_id: c.complaint_id, to, note });
      if (answer.status === "ok") { this.update(answer.data.complaint); close(); } else error.textContent = explain(answer);
    });
  }
}
