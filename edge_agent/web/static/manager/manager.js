// The lobby manager's tablet: VIP alerts on top until answered, the queue at a glance below,
// the branch's health as banners. Settings per tablet, in the address (remembered):
//   /manager/?escalate_s=90&stale_s=120
//   escalate_s: an unanswered alert turns red and chimes again after this long
//   stale_s:    an alert older than this on arrival is marked as missed while offline
import { current as branch, loadBranch } from "../shared/branch.js";
import { newTransaction } from "../shared/bus.js";
import { explain } from "../shared/errors.js";
import { BranchHealth } from "../shared/health.js";
import { applyTexts, clockTime, duration, languageToggle, lang, onLang, setLang, t } from "../shared/i18n.js";
import { loginScreen } from "../shared/login.js";
import { openReferDialog } from "../shared/refer-dialog.js";
import { alertChime, audioReady, reminderChime, unlockAudio } from "../shared/sound.js";
import { PageLink } from "../shared/page-link.js";
import { StaffSignIn } from "../shared/staff.js";
import { AlertBook } from "./alert-book.js";
import { alertCard, busy, fillTexts, OUTCOMES, refresh } from "./alert-card.js";
import { Complaints } from "./complaints.js";
import { Promotions } from "./promotions.js";
import { CallList } from "./call-list.js";
import { ReferralList } from "./referral-list.js";
import { ServiceAlerts } from "./service-alerts.js";
import { renderQueue } from "./queue-view.js";
import { EventLedger } from "../shared/replay.js";

const TEXTS = {
  title: ["大堂经理", "Lobby manager"], sign_out: ["退出", "Sign out"], enable_sound: ["开启提示音", "Turn sound on"],
  alerts: ["贵宾到店", "VIP arrivals"], queue: ["排队情况", "Queue now"], counters: ["窗口", "Counters"],
  no_alerts: ["暂无待接待的贵宾", "No VIP waiting for you"],
  no_alerts_hint: ["贵宾刷卡取号后，提醒会在一秒内出现在这里，并伴有提示音。", "When a VIP swipes their card at the kiosk, the alert appears here within a second, with a chime."],
  handled: ["已处理", "Answered"],
  recorded: ["已记录：{outcome}（{after}后）", "Recorded: {outcome} (after {after})"],
  by_colleague: ["{by} 已处理：{outcome}", "{by} answered: {outcome}"],
  elsewhere: ["同事已处理", "Answered by a colleague"],
  referrals: ["今日转介", "Today's referrals"], calls: ["最近叫号及原因", "Latest calls, and why"], promotions: ["营销信息", "Promotions"], new_promotion: ["发布", "Publish"],
  service_alerts: ["服务提醒", "Service alerts"], complaints: ["投诉", "Complaints"], new_complaint: ["登记投诉", "Record"],
  referred_to: ["已转介至{to}，等待客户经理接受", "Referred to {to}: waiting for an RM to accept"],
};
// All of events/ and alerts/: every numbered event reaches the tablet, so a skipped number
// means something was missed (shared/replay.js).
const TOPICS = ["alerts/#", "events/#", "queue/state", "agent/state", "devices/+/state", "staff/state", "promotions"];

function setting(name, fallback) {
  const fromUrl = Number(new URLSearchParams(location.search).get(name));
  if (fromUrl > 0) localStorage.setItem(`lobby.manager.${name}`, String(fromUrl));
  return Number(localStorage.getItem(`lobby.manager.${name}`)) || fallback;
}

// One stable client id per tablet: the broker keeps this tablet's session and queues the
// alerts that arrive while it is asleep or out of Wi-Fi.
function deviceId() {
  let id = localStorage.getItem("lobby.device");
  if (!id) { id = newTransaction().slice(0, 12); localStorage.setItem("lobby.device", id); }
  return id;
}

const $ = (id) => document.getElementById(id);
let bus = null, login = null, book = null, queueState = null, ledger = null, staff = null, referralList = null, promotions = null;
let calls = null;
let rms = [], serviceAlerts = null, complaints = null;
const cards = new Map();  // alert id -> card element

function renderAlerts() {
  const open = book.open();
  const list = $("alerts");
  // Keep existing cards (a button being pressed must not be replaced under the finger).
  for (const [id, card] of cards) if (!open.some((e) => e.payload.event_id === id)) { card.remove(); cards.delete(id); }
  open.forEach((entry, index) => {
    let card = cards.get(entry.payload.event_id);
    if (!card) { card = alertCard(entry, acknowledge); cards.set(entry.payload.event_id, card); }
    if (list.children[index] !== card) list.insertBefore(card, list.children[index] || null);
    refresh(card, entry, book);
  });
  $("alert-count").textContent = open.length;
  $("alert-count").classList.toggle("zero", !open.length);
  $("no-alerts").classList.toggle("hidden", open.length > 0);
  renderHandled();
}

function renderHandled() {
  const done = book.handled().slice(0, 20);
  $("handled").classList.toggle("hidden", !done.length);
  $("handled-count").textContent = done.length;
  $("handled-list").replaceChildren(...done.map((entry) => {
    const li = document.createElement("li");
    li.innerHTML = `<b class="num"></b><span class="who"></span><span class="what"></span><span class="when num"></span>`;
    li.dataset.alertId = entry.payload.event_id;
    li.children[0].textContent = entry.payload.ticket;
    li.children[1].textContent = entry.payload.customer.display_name;
    const referral = referralList.forAlert(entry.payload.event_id);
    li.children[2].textContent = t(OUTCOMES[entry.outcome] || TEXTS.elsewhere) + (entry.by ? ` · ${entry.by}` : "")
      + (referral ? ` · ${ReferralList.words(referral)}` : "");
    li.children[3].textContent = clockTime(new Date(entry.answeredAt));
    return li;
  }));
}

async function acknowledge(entry, outcome, card) {
  if (outcome === "referred") return refer(entry, card);
  busy(card, true);
  // A fresh transaction for every press: a retry after an error is a new request. Signed by
  // the person on a branch with a staff roster; without one, by the tablet's account.
  const fields = { alert_id: entry.payload.event_id, outcome };
  if (!staff.person()) fields.by = bus.username.slice(0, 64);
  const answer = await staff.request("alert_ack", fields);
  if (answer.status === "ok") {
    book.answered(entry.payload.event_id, { outcome, by: answer.data.by, here: true });
    showResult(card, t(TEXTS.recorded, { outcome: t(OUTCOMES[outcome]), after: duration(answer.data.after_s) }), "ok");
    setTimeout(renderAlerts, 1200);  // let the manager see the confirmation before the card moves down
  } else if (answer.code === "alert_already_acknowledged") {
    book.answered(entry.payload.event_id, { outcome: "answered_elsewhere", by: null, here: false });
    showResult(card, explain(answer), "error");
    setTimeout(renderAlerts, 2500);
  } else {
    busy(card, false);
    showResult(card, explain(answer), "error");
  }
}

// "Referred to RM": a referral to the RM pool or a named RM, which also answers the alert.
async function refer(entry, card) {
  const p = entry.payload;
  const referral = await openReferDialog({ staff, ticket: p.ticket, alertId: p.event_id, customerName: p.customer.display_name, rms, askReasons: false });
  if (!referral) return;
  referralList.update(referral);
  book.answered(p.event_id, { outcome: "referred", by: referral.referrer_name, here: true });
  busy(card, true);
  showResult(card, t(TEXTS.referred_to, { to: referral.to_rm_name || t(["客户经理组", "the RM pool"]) }), "ok");
  setTimeout(renderAlerts, 1200);
}

async function loadReferrals() {
  if (!staff.person()) return;
  const answer = await staff.request("referral_list");
  if (answer.status === "ok") { referralList.replace(answer.data.referrals); renderHandled(); }
  const listed = await staff.request("complaint_list");
  if (listed.status === "ok") complaints.replace(listed.data.complaints);
}

function showResult(card, text, kind) {
  const result = card.querySelector(".result");
  result.textContent = text;
  result.className = `result result-${kind}`;
}

function onAlert(payload) {
  const entry = book.add(payload);
  if (!entry) return;
  renderAlerts();
  if (!entry.stale) alertChime();
}

// alerts/answered reaches every tablet: a colleague's answer clears the alert here too
// (this tablet's own answer was already recorded when its request was answered).
function onAnswered(event) {
  const entry = book.entries.get(event.alert_id);
  if (!entry || entry.outcome) return;
  book.answered(event.alert_id, { outcome: event.outcome, by: event.by, here: false });
  const card = cards.get(event.alert_id);
  if (card) {
    busy(card, true);
    showResult(card, t(TEXTS.by_colleague, { by: event.by, outcome: t(OUTCOMES[event.outcome]) }), "ok");
  }
  setTimeout(renderAlerts, 2500);
}

function onMessage(topic, data) {
  if (topic === "staff/state") { rms = data.rms || []; staff.onStaffState(data); return; }
  if (topic === "promotions") { promotions.show(data); return; }
  if (topic === "agent/state" && behindFrom && data && data.state === "online") catchUp(behindFrom);
  if (health.handle(topic, data)) return;
  if (data && data.seq) {
    const before = ledger.last;
    if (ledger.seen(data.seq)) catchUp(before);  // numbers skipped: fetch them
  }
  onEvent(topic, data);
}

function onEvent(topic, data) {
  if (topic === "alerts/vip") { if (bus.firstTime(data.event_id)) onAlert(data); }
  else if (topic === "alerts/service") { if (bus.firstTime(data.event_id) && serviceAlerts.add(data)) alertChime(); }
  else if (topic === "alerts/answered") {
    if (!bus.firstTime(data.event_id)) return;
    if (data.kind === "service") serviceAlerts.answered(data); else onAnswered(data);
  }
  else if (topic === "events/complaint") { if (bus.firstTime(data.event_id)) complaints.update(data.complaint); }
  else if (topic === "events/called") { calls.add(data); if (book.called(data)) renderAlerts(); }
  else if (topic === "events/referral") { if (bus.firstTime(data.event_id)) { referralList.update(data.referral); renderHandled(); } }
  else if (topic === "queue/state") { queueState = data; renderQueue($("services"), $("counters"), $("queue-updated"), queueState); }
}

// With the agent away the queue figures are its last word, not the lobby now: show them faded.
const health = new BranchHealth($("banners"), { onAgent: (online) => $("main").classList.toggle("agent-offline", !online) });

// Ask the agent for the events after `after` (by default the last one this tablet has).
// If it cannot answer yet (it may still be reconnecting after the broker came back), the
// same again when it announces itself on agent/state, or in a few seconds, whichever is first.
let behindFrom = 0;  // the seq a failed catch-up asked after; 0 = not behind
async function catchUp(after = ledger.last) {
  const asked = bus;
  behindFrom = (await ledger.repair(asked, after, onEvent)) ? 0 : after;
  if (behindFrom) setTimeout(() => { if (behindFrom && bus === asked && bus.state === "connected") catchUp(behindFrom); }, 5000);
}

// The person at the tablet, in the app bar; without a roster nobody is asked for a PIN.
function showPerson(person, needed) {
  // Until staff/state says whether the branch has a roster, the tablet works as it always did.
  const ready = bus && bus.state === "connected" && !needed;
  $("main").classList.toggle("hidden", !ready);
  $("promotions").classList.toggle("hidden", !person);
  $("complaints").classList.toggle("hidden", !person);
  if (person) loadReferrals();
}

const link = new PageLink({
  role: "manager", chip: $("conn"), topics: TOPICS, onMessage,
  options: () => ({ clientId: `tablet-${deviceId()}`, persistent: true }),
  onBus: (b) => { bus = b; },
  onConnected: (b) => {
    staff.attach(b);
    // Back from time away: whatever the broker could not keep, the agent still has.
    catchUp();
    $("sign-out").classList.remove("hidden");
  },
  onEnded: () => { $("main").classList.add("hidden"); $("sign-out").classList.add("hidden"); },
});
const connect = (credentials) => link.connect(credentials);

function texts() {
  applyTexts(TEXTS);
  $("branch-name").textContent = t([branch().branch.name, branch().branch.name_en]);
  document.title = `${t(TEXTS.title)} · ${t([branch().branch.name, branch().branch.name_en])}`;
  for (const [id, card] of cards) fillTexts(card, book.entries.get(id));
  if (book) renderAlerts();
  if (referralList) referralList.render();
  if (promotions) promotions.render();
  if (complaints) complaints.render();
  if (serviceAlerts) serviceAlerts.render();
  renderQueue($("services"), $("counters"), $("queue-updated"), queueState);
}

async function main() {
  await loadBranch();
  book = new AlertBook(branch().branch.id, { staleAfterS: setting("stale_s", 120), escalateAfterS: setting("escalate_s", 90) });
  ledger = new EventLedger(`lobby.manager.${branch().branch.id}.seq`);
  languageToggle($("lang"));
  link.login = login = loginScreen({ role: "manager", container: $("login"), onSubmit: connect });
  referralList = new ReferralList($("referrals"));
  calls = new CallList($("calls"));
  staff = new StaffSignIn({
    page: "manager", container: $("staff"), onChange: showPerson,
    onDisconnect: () => { bus.close(); $("main").classList.add("hidden"); $("staff").classList.add("hidden"); $("sign-out").classList.add("hidden"); login.show(); },
  });
  promotions = new Promotions($("promotions"), staff);
  complaints = new Complaints($("complaints"), staff);
  serviceAlerts = new ServiceAlerts($("service-alerts"), staff, { onComplaint: (alert) => complaints.openDialog(alert) });
  onLang(texts);
  setLang(lang());
  $("sign-out").addEventListener("click", () => {
    if (staff.required()) { staff.signOut(); return; }  // the next person signs in; the tablet stays connected
    bus.close();
    $("main").classList.add("hidden");
    $("sign-out").classList.add("hidden");
    login.show();
  });
  // After a reload nobody has touched the page yet, so the browser keeps it silent: say so.
  $("sound").addEventListener("click", unlockAudio);
  // Ages move on by themselves; an alert that crosses the escalation line chimes once more.
  setInterval(() => {
    $("sound").classList.toggle("hidden", audioReady() || $("main").classList.contains("hidden"));
    book.prune();
    serviceAlerts.tick();
    for (const entry of book.open()) {
      const card = cards.get(entry.payload.event_id);
      if (card && refresh(card, entry, book) && !entry.reminded) { entry.reminded = true; book.save(); reminderChime(); }
    }
  }, 1000);
  const saved = login.saved();
  if (saved) {  // a reload: straight back to the alerts while the connection comes up
    $("main").classList.remove("hidden");
    connect(saved);
  } else {
    login.show();
  }
}

main();
