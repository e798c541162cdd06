// 服务补救 on the tablet: a low rating at a counter arrives as a red card (ticket, counter,
// teller, score and reasons, how long ago). The manager goes to the customer, then records
// it as handled, or opens a complaint from it with one tap. Kept in localStorage like the
// VIP alerts, so a reload does not lose one the broker has already delivered.
import { counter, current as branch } from "../shared/branch.js";
import { explain } from "../shared/errors.js";
import { duration, named, t } from "../shared/i18n.js";

const KEEP_MS = 12 * 3600 * 1000;
const WORDS = {
  title: ["服务提醒：客户不满意", "Service alert: a customer was not satisfied"],
  at: ["{counter} · {teller} · {ago}前", "{counter} · {teller} · {ago} ago"],
  ack: ["已处理", "Handled"], complaint: ["登记投诉", "Open a complaint"],
  done_ack: ["已记录：已处理", "Recorded: handled"], done_complaint: ["已登记投诉", "Complaint opened"],
  by_colleague: ["{by} 已处理", "{by} answered it"], no_teller: ["（未登录）", "(not signed in)"],
};

export class ServiceAlerts {
  constructor(container, staff, { onComplaint }) {
    this.container = container;
    this.staff = staff;
    this.onComplaint = onComplaint;
    this.key = `lobby.manager.service.${branch().branch.id}`;
    try { this.alerts = new Map((JSON.parse(localStorage.getItem(this.key)) || []).map((a) => [a.event_id, a])); } catch { this.alerts = new Map(); }
    this.prune();
  }

  save() { localStorage.setItem(this.key, JSON.stringify([...this.alerts.values()])); }

  prune() { for (const [id, a] of this.alerts) if (Date.now() - Date.parse(a.rated_at) > KEEP_MS) this.alerts.delete(id); }

  // alerts/service: true when it is new (the tablet chimes).
  add(alert) {
    if (this.alerts.has(alert.event_id)) return false;
    this.alerts.set(alert.event_id, { ...alert, answered: null });
    this.save();
    this.render();
    return true;
  }

  // alerts/answered with kind "service": a colleague (or this tablet) answered it.
  answered(event) {
    const alert = this.alerts.get(event.alert_id);
    if (!alert || alert.answered) return;
    alert.answered = { outcome: event.outcome, by: event.by };
    this.save();
    this.render();
  }

  open() { return [...this.alerts.values()].filter((a) => !a.answered).sort((a, b) => a.rated_at.localeCompare(b.rated_at)); }

  render() {
    const open = this.open();
    this.container.classList.toggle("hidden", !open.length);
    this.container.querySelector(".count").textContent = open.length;
    const list = this.container.querySelector(".service-list");
    list.replaceChildren(...open.map((alert) => this.card(alert)));
  }

  // How long ago, in place: the buttons are never replaced under a finger.
  age(el, alert) {
    const ago = (Date.now() - Date.parse(alert.rated_at)) / 1000;
    el.querySelector(".sa-at").textContent = t(WORDS.at, {
      counter: named(counter(alert.counter)), teller: alert.staff_name ? `${alert.staff_name} (${alert.staff_id})` : t(WORDS.no_teller), ago: duration(ago),
    });
  }

  tick() {
    for (const el of this.container.querySelectorAll("article.service-alert")) {
      const alert = this.alerts.get(el.dataset.alertId);
      if (alert) this.age(el, alert);
    }
  }

  card(alert) {
    const { labels } = branch().ratings;
    const el = document.createElement("article");
    el.className = "card service-alert";
    el.dataset.alertId = alert.event_id;
    el.innerHTML = `<div class="sa-top"><span class="sa-score"></span><b class="sa-ticket num"></b><span class="sa-at muted"></span></div>
      <div class="sa-reasons"></div><div class="actions two"><button type="button" class="btn btn-navy sa-ack"></button>
      <button type="button" class="btn btn-primary sa-complaint"></button></div><p class="result" role="status"></p>`;
    el.querySelector(".sa-score").textContent = t(labels[String(alert.score)] || [String(alert.score), String(alert.score)]);
    el.querySelector(".sa-ticket").textContent = alert.ticket;
    this.age(el, alert);
    const known = Object.fromEntries(branch().ratings.reasons.map((r) => [r.code, r]));
    el.querySelector(".sa-reasons").replaceChildren(...alert.reasons.map((code) => {
      const tag = document.createElement("span");
      tag.className = "reason";
      tag.textContent = known[code] ? named(known[code]) : code;
      return tag;
    }));
    const ack = el.querySelector(".sa-ack");
    const complaint = el.querySelector(".sa-complaint");
    ack.textContent = t(WORDS.ack);
    complaint.textContent = t(WORDS.complaint);
    ack.addEventListener("click", async () => {
      ack.disabled = complaint.disabled = true;
      const answer = await this.staff.request("service_alert_ack", { alert_id: alert.event_id });
      if (answer.status === "ok") this.answered({ alert_id: alert.event_id, outcome: "acknowledged", by: answer.data.by });
      else { ack.disabled = complaint.disabled = false; el.querySelector(".result").textContent = explain(answer); }
    });
    complaint.addEventListener("click", () => this.onComplaint(alert));
    return el;
  }
}
