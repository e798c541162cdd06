// One VIP alert as a card: who, which ticket, how long they have waited, their RM, and the
// three answers within reach of a thumb. Names from the CRM go in as text, never as HTML.
import { counter, service, tier } from "../shared/branch.js";
import { clockTime, duration, named, t } from "../shared/i18n.js";
import { ageSeconds } from "./alert-book.js";

export const OUTCOMES = {
  greeted: ["已接待", "Greeted"],
  referred: ["转介客户经理", "Referred to RM"],
  declined: ["客户婉拒", "Declined"],
};

const TEXTS = {
  ticket: ["号码", "Ticket"], service: ["业务", "Service"], waited: ["已等候", "Waiting"], rm: ["客户经理", "Relationship manager"],
  card: ["卡号", "Card"], no_rm: ["未指定", "None assigned"],
  stale: ["离线期间的提醒 · {age}前", "Arrived while offline · {age} ago"],
  escalated: ["超过 {limit}无人接待", "Unanswered for over {limit}"],
  called: ["已叫号 → {counter}", "Called → {counter}"],
  sending: ["正在记录…", "Recording…"],
  issued: ["{time} 取号", "Ticket taken {time}"],
};

// answer(entry, outcome, card) is called when a button is pressed.
export function alertCard(entry, answer) {
  const p = entry.payload;
  const card = document.createElement("article");
  card.className = "card alert";
  card.dataset.alertId = p.event_id;
  card.dataset.ticket = p.ticket;
  card.innerHTML = `
    <div class="alert-top"><span class="tier"></span><span class="flag flag-stale"></span><span class="flag flag-bad"></span><span class="age num"></span></div>
    <div class="alert-name"></div>
    <dl class="facts">
      <div><dt class="l-ticket"></dt><dd class="ticket num"></dd></div>
      <div><dt class="l-service"></dt><dd class="service"></dd></div>
      <div><dt class="l-waited"></dt><dd class="waited num"></dd></div>
      <div><dt class="l-rm"></dt><dd class="rm"></dd></div>
    </dl>
    <div class="alert-foot"><span class="l-card"></span> <span class="pan num"></span><span class="called"></span></div>
    <div class="actions">
      <button type="button" class="btn btn-gold" data-outcome="greeted"></button>
      <button type="button" class="btn btn-navy" data-outcome="referred"></button>
      <button type="button" class="btn" data-outcome="declined"></button>
    </div>
    <p class="result" role="status"></p>`;
  card.querySelector(".tier").classList.add(`tier-${p.tier}`);
  for (const button of card.querySelectorAll("[data-outcome]")) {
    button.addEventListener("click", () => answer(entry, button.dataset.outcome, card));
  }
  fillTexts(card, entry);
  return card;
}

// Everything that changes with the language.
export function fillTexts(card, entry) {
  const p = entry.payload;
  card.querySelector(".tier").textContent = named(tier(p.tier));
  card.querySelector(".alert-name").textContent = p.customer.display_name;
  for (const key of ["ticket", "service", "waited", "rm", "card"]) card.querySelector(`.l-${key}`).textContent = t(TEXTS[key]);
  card.querySelector(".ticket").textContent = p.ticket;
  card.querySelector(".service").textContent = named(service(p.service));
  card.querySelector(".rm").textContent = p.customer.rm || t(TEXTS.no_rm);
  card.querySelector(".pan").textContent = p.customer.masked_pan || "—";
  for (const button of card.querySelectorAll("[data-outcome]")) button.textContent = t(OUTCOMES[button.dataset.outcome]);
}

// Everything that changes with time: the wait, the escalation, the customer being called.
export function refresh(card, entry, book, now = Date.now()) {
  const age = ageSeconds(entry.payload, now);
  card.querySelector(".waited").textContent = duration(age);
  card.classList.toggle("stale", entry.stale);
  const escalated = book.escalated(entry, now);
  card.classList.toggle("escalated", escalated);
  card.querySelector(".flag-bad").textContent = escalated ? t(TEXTS.escalated, { limit: duration(book.escalateAfterS) }) : "";
  card.querySelector(".flag-stale").textContent = entry.stale ? t(TEXTS.stale, { age: duration(age) }) : "";
  card.querySelector(".age").textContent = t(TEXTS.issued, { time: clockTime(new Date(entry.payload.issued_at)) });
  const called = card.querySelector(".called");
  called.textContent = entry.called ? t(TEXTS.called, { counter: named(counter(entry.called.counter)) }) : "";
  return escalated;
}

export function busy(card, sending) {
  for (const button of card.querySelectorAll("button")) button.disabled = sending;
  if (sending) card.querySelector(".result").textContent = t(TEXTS.sending);
}
