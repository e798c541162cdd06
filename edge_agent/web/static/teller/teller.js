// The teller's counter console. Every button is a request to the agent and the screen shows
// the agent's answer, refusals in words. The keyboard does everything (tellers who never
// touch the mouse): N call next, R recall, C complete, X no-show, T transfer, O open, Q close,
// F refer the customer to a relationship manager (转介).
// Once the branch has a staff roster, a teller signs in at the counter with staff id + PIN
// (shared/staff.js) and every action carries who took it.
import { current as branch, counter, loadBranch, service, tier } from "../shared/branch.js";
import { explain } from "../shared/errors.js";
import { BranchHealth } from "../shared/health.js";
import { applyTexts, clockTime, duration, languageToggle, lang, named, onLang, setLang, t } from "../shared/i18n.js";
import { loginScreen } from "../shared/login.js";
import { openReferDialog, referredTo } from "../shared/refer-dialog.js";
import { openSheet } from "../shared/sheet.js";
import { PageLink } from "../shared/page-link.js";
import { StaffSignIn } from "../shared/staff.js";

const TEXTS = {
  title: ["柜员叫号", "Teller console"], sign_out: ["退出", "Sign out"], counter: ["窗口", "Counter"],
  now_serving: ["正在服务", "Now serving"], call_next: ["呼叫下一位", "Call next"], recall: ["重呼", "Recall"],
  complete: ["办结", "Complete"], no_show: ["过号", "No-show"], transfer: ["转移", "Transfer"], transfer_to: ["转至业务", "Transfer to"],
  open: ["开启窗口", "Open counter"], close: ["关闭窗口", "Close counter"],
  waiting_here: ["本窗口排队", "Waiting for this counter"],
  refer: ["转介", "Refer"], prospect: ["潜在客户", "Prospect"], unprospect: ["取消潜在客户", "Not a prospect"],
  keys: ["快捷键：N 呼叫下一位 · R 重呼 · C 办结 · X 过号 · T 转移 · F 转介 · O 开启窗口 · Q 关闭窗口",
         "Keys: N call next · R recall · C complete · X no-show · T transfer · F refer · O open counter · Q close counter"],
};
const WORDS = {
  open: ["已开启", "Open"], closed: ["已关闭", "Closed"], idle: ["空闲", "Free"],
  idle_hint: ["按 N 呼叫下一位客户", "Press N to call the next customer"], closed_hint: ["按 O 开启窗口", "Press O to open the counter"],
  waited: ["已等候 {wait}", "Waited {wait}"], called_at: ["{time} 叫号", "Called {time}"],
  waiting_n: ["{n} 人", "{n}"], longest: ["最长 {wait}", "longest {wait}"], nobody: ["无人等候", "Nobody waiting"],
  call_next: ["已呼叫 {ticket}，请客户到{counter}", "Called {ticket} to {counter}"], recall: ["已重呼 {ticket}", "Recalled {ticket}"],
  complete: ["{ticket} 已办结", "{ticket} completed"], no_show: ["{ticket} 已标记过号", "{ticket} marked as no-show"],
  transfer: ["{ticket} 已转至{service}，前面 {ahead} 人", "{ticket} moved to {service}, {ahead} ahead"],
  counter_open: ["窗口已开启", "Counter opened"], counter_close: ["窗口已关闭", "Counter closed"],
  choose_service: ["请先选择要转至的业务", "Choose the service to transfer to first"],
  choose: ["选择业务…", "Choose a service…"],
  referred: ["{ticket} 已转介给{to}", "{ticket} referred to {to}"],
  accepted: ["{rm} 已接受 {ticket} 的转介，正在赶来", "{rm} accepted {ticket}'s referral and is on the way"],
  marked: ["{ticket} 的客户已标记为潜在客户，下次刷卡即可识别", "{ticket}'s customer is now a prospect: recognised at the next swipe"],
  unmarked: ["{ticket} 的客户已取消潜在客户标记", "{ticket}'s customer is no longer marked as a prospect"],
  prospect_title: ["标记为潜在客户", "Mark as a prospect"],
  prospect_reason: ["原因（例如：询问大额存单）", "Why (e.g. asked about large deposits)"],
  customer_name: ["客户称呼", "How to address the customer"],
  cancel: ["取消", "Cancel"], mark: ["标记", "Mark"],
};
const KEYS = { n: "call_next", r: "recall", c: "complete", x: "no_show", t: "transfer", o: "counter_open", q: "counter_close" };
const TOPICS = ["queue/state", "agent/state", "events/called", "events/referral", "staff/state"];

const $ = (id) => document.getElementById(id);
let bus = null, login = null, staff = null, queueState = null, working = false, rms = [];

function counterId() { return $("counter").value; }
function counterState() { return queueState && queueState.counters[counterId()]; }

// What the agent last told us about the ticket at this counter (tier, service, wait),
// kept per tab so a reload still shows who is at the counter.
function known() {
  try { return JSON.parse(sessionStorage.getItem(`lobby.teller.serving.${counterId()}`)); } catch { return null; }
}
function remember(ticket) {
  const key = `lobby.teller.serving.${counterId()}`;
  if (ticket) sessionStorage.setItem(key, JSON.stringify(ticket)); else sessionStorage.removeItem(key);
}

function render() {
  const state = counterState();
  const label = state ? state.serving : null;
  const details = known();
  $("counter-name").textContent = named(counter(counterId()));
  const stateEl = $("counter-state");
  stateEl.textContent = state ? t(state.open ? WORDS.open : WORDS.closed) : "";
  stateEl.className = "counter-state" + (state ? (state.open ? " is-open" : " is-closed") : "");
  const number = $("number");
  number.textContent = label || t(WORDS.idle);
  number.classList.toggle("idle", !label);
  const box = $("details");
  box.replaceChildren();
  if (label && details && details.ticket === label) {
    const badge = document.createElement("span");
    badge.className = `tier tier-${details.tier}`;
    badge.textContent = named(tier(details.tier));
    box.append(badge, span(named(service(details.service))), span(t(WORDS.waited, { wait: duration(details.waited_s) }), "muted"));
    if (details.called_at) box.append(span(t(WORDS.called_at, { time: clockTime(new Date(details.called_at)) }), "muted"));
  } else if (!label) {
    box.append(span(t(state && !state.open ? WORDS.closed_hint : WORDS.idle_hint), "muted"));
  }
  document.querySelector("[data-op=counter_open]").classList.toggle("hidden", Boolean(state && state.open));
  document.querySelector("[data-op=counter_close]").classList.toggle("hidden", Boolean(state && !state.open));
  // Refer and prospect act on the customer at the counter; a prospect needs a swiped card.
  const here = label && details && details.ticket === label ? details : null;
  $("refer").disabled = !label;
  $("prospect").classList.toggle("hidden", !(here && here.identified && here.tier !== "prospect" && here.tier !== "vip"));
  $("unprospect").classList.toggle("hidden", !(here && here.identified && here.tier === "prospect"));
  renderWaiting(state);
}

function span(text, className = "") {
  const el = document.createElement("span");
  el.textContent = text;
  if (className) el.className = className;
  return el;
}

function renderWaiting(state) {
  const list = $("waiting");
  const ids = state ? state.services : counter(counterId()).services;
  list.replaceChildren(...ids.map((id) => {
    const s = queueState && queueState.services[id];
    const row = document.createElement("div");
    row.className = "waiting-row";
    row.innerHTML = "<span class=\"w-name\"></span><b class=\"w-n num\"></b><span class=\"w-longest muted\"></span>";
    row.children[0].textContent = named(service(id));
    row.children[1].textContent = s ? t(WORDS.waiting_n, { n: s.waiting }) : "—";
    row.children[2].textContent = s && s.waiting ? t(WORDS.longest, { wait: duration(s.longest_wait_s) }) : t(WORDS.nobody);
    row.classList.toggle("late", Boolean(s && s.target_wait_s && s.longest_wait_s > s.target_wait_s));
    return row;
  }));
}

// The last answer, kept as a function of the language so the toggle translates it too.
let lastMessage = { words: () => "", kind: "" };
function say(words, kind) {
  lastMessage = { words, kind };
  const message = $("message");
  message.textContent = words();
  message.className = `message message-${kind}`;
}

function fieldsFor(op) {
  const here = counterId();
  const showing = counterState() ? counterState().serving : null;
  if (op === "transfer") return { ticket: showing || "", to_service: $("to-service").value, counter: here };
  if (op === "counter_open" || op === "counter_close" || op === "call_next") return { counter: here };
  // The ticket this screen shows guards against acting on a ticket that changed meanwhile.
  return showing ? { counter: here, ticket: showing } : { counter: here };
}

async function act(op) {
  if (working || !bus) return;
  if (op === "transfer" && !$("to-service").value) { say(() => t(WORDS.choose_service), "error"); $("to-service").focus(); return; }
  working = true;
  document.querySelectorAll(".act").forEach((b) => { b.disabled = true; });
  document.querySelector(`[data-op=${op}]`).classList.add("pressed");
  const answer = await staff.request(op, fieldsFor(op));
  working = false;
  document.querySelectorAll(".act").forEach((b) => { b.disabled = false; b.classList.remove("pressed"); });
  if (answer.status === "ok") {
    const data = answer.data || {};
    if (op === "call_next" || op === "recall") remember({ ...data, called_at: new Date().toISOString() });
    if (op === "complete" || op === "no_show" || op === "transfer") remember(null);
    if (op === "transfer") $("to-service").value = "";  // the next transfer is a new decision
    // The answer is the truth until the next queue/state confirms it.
    if (queueState && queueState.counters[counterId()]) {
      const c = queueState.counters[counterId()];
      if (op === "call_next" || op === "recall") c.serving = data.ticket;
      if (op === "complete" || op === "no_show" || op === "transfer") c.serving = null;
      if (op === "counter_open" || op === "counter_close") c.open = op === "counter_open";
    }
    const at = counterId();
    say(() => t(WORDS[op], {
      ticket: data.ticket || "", counter: named(counter(at)),
      service: data.service ? named(service(data.service)) : "", ahead: data.ahead ?? 0,
    }), "ok");
  } else {
    say(() => explain(answer), "error");
  }
  render();
}

async function refer() {
  const details = known();
  const label = counterState() ? counterState().serving : null;
  if (!label || working) return;
  const referral = await openReferDialog({ staff, ticket: label, rms, customerName: details && details.ticket === label ? details.customer_name || "" : "" });
  if (referral) say(() => t(WORDS.referred, { ticket: referral.ticket, to: referredTo(referral) }), "ok");
}

async function prospect(mark) {
  const label = counterState() ? counterState().serving : null;
  if (!label) return;
  let fields = { ticket: label };
  if (mark) {
    fields = await askProspect(label);
    if (!fields) return;
  }
  const answer = await staff.request(mark ? "prospect_mark" : "prospect_unmark", fields);
  if (answer.status === "ok") {
    const details = known();
    if (details && details.ticket === label) remember({ ...details, tier: answer.data.tier });
    say(() => t(mark ? WORDS.marked : WORDS.unmarked, { ticket: label }), "ok");
    render();
  } else {
    say(() => explain(answer), "error");
  }
}

function askProspect(label) {
  const sheet = openSheet({
    className: "prospect", cancel: t(WORDS.cancel), submit: t(WORDS.mark),
    html: `<h2></h2>
      <label class="field"><span class="l-reason"></span><input type="text" name="reason" maxlength="200" required></label>
      <label class="field"><span class="l-name"></span><input type="text" name="customer_name" maxlength="20"></label>`,
  });
  const { dialog, form } = sheet;
  dialog.querySelector("h2").textContent = `${t(WORDS.prospect_title)} · ${label}`;
  dialog.querySelector(".l-reason").textContent = t(WORDS.prospect_reason);
  dialog.querySelector(".l-name").textContent = t(WORDS.customer_name);
  return new Promise((resolve) => {
    let fields = null;
    sheet.onClose = () => resolve(fields);
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      if (!form.reason.value.trim()) { form.reason.focus(); return; }
      fields = { ticket: label, reason: form.reason.value.trim(), customer_name: form.customer_name.value.trim() };
      sheet.close();
    });
  });
}

// Who is signed in here, in the app bar; the counter follows the person's sign-in.
function showPerson(person, needed) {
  if (person) {
    if (person.counter && $("counter").value !== person.counter) { $("counter").value = person.counter; render(); }
  }
  // With a roster, the counter is where the person signed in: changing it means signing in again.
  $("counter").disabled = Boolean(staff.required());
  showConsole(bus && bus.state === "connected" && !needed);
}

function onMessage(topic, data) {
  if (health.handle(topic, data)) return;
  if (topic === "staff/state") { rms = data.rms || []; staff.onStaffState(data); return; }
  if (topic === "events/referral" && bus.firstTime(data.event_id)) {
    const r = data.referral;
    if (r.state === "accepted" && r.referrer === (staff.person() || {}).staff_id) {
      say(() => t(WORDS.accepted, { rm: r.accepted_by_name, ticket: r.ticket }), "ok");
    }
    return;
  }
  if (topic === "queue/state") { queueState = data; render(); }
  else if (topic === "events/called" && data.counter === counterId() && bus.firstTime(data.event_id)) {
    // Called from elsewhere (head office, another console on this counter): learn who it is.
    if (!known() || known().ticket !== data.ticket) remember({ ...data, called_at: data.at });
    render();
  }
}

const health = new BranchHealth($("banners"), { devices: false });

// The link to the broker; its end for good shows the sign-in screen again.
const link = new PageLink({
  role: "teller", chip: $("conn"), topics: TOPICS, onMessage,
  onBus: (b) => { bus = b; }, onConnected: (b) => staff.attach(b), onEnded: () => showConsole(false),
});
const connect = (credentials) => link.connect(credentials);

function showConsole(on) {
  for (const id of ["main", "sign-out", "counter-pick"]) $(id).classList.toggle("hidden", !on);
}

function fillSelects() {
  const select = $("counter");
  const keep = select.value || localStorage.getItem("lobby.teller.counter") || branch().counters[0].id;
  select.replaceChildren(...branch().counters.map((c) => new Option(named(c), c.id)));
  select.value = keep;
  // No service is preselected: a transfer is a decision, not a default.
  const to = $("to-service");
  const keepTo = to.value;
  to.replaceChildren(new Option(t(WORDS.choose), ""), ...branch().services.map((s) => new Option(named(s), s.id)));
  to.value = keepTo;
}

function texts() {
  applyTexts(TEXTS);
  $("branch-name").textContent = t([branch().branch.name, branch().branch.name_en]);
  document.title = `${t(TEXTS.title)} · ${t([branch().branch.name, branch().branch.name_en])}`;
  fillSelects();
  render();
  say(lastMessage.words, lastMessage.kind);
}

async function main() {
  await loadBranch();
  languageToggle($("lang"));
  link.login = login = loginScreen({ role: "teller", container: $("login"), onSubmit: connect });
  onLang(texts);
  setLang(lang());
  $("counter").addEventListener("change", () => {
    localStorage.setItem("lobby.teller.counter", counterId());
    $("counter").blur();  // give the keys back to the console
    say(() => "", "");
    render();
  });
  $("to-service").addEventListener("change", () => {
    $("to-service").blur();
    if (lastMessage.kind === "error") say(() => "", "");
  });
  staff = new StaffSignIn({
    page: "teller", container: $("staff"), counter: counterId, onChange: showPerson,
    onDisconnect: () => { bus.close(); showConsole(false); $("staff").classList.add("hidden"); login.show(); },
  });
  for (const button of document.querySelectorAll(".act")) button.addEventListener("click", () => act(button.dataset.op));
  $("refer").addEventListener("click", refer);
  $("prospect").addEventListener("click", () => prospect(true));
  $("unprospect").addEventListener("click", () => prospect(false));
  document.addEventListener("keydown", (event) => {
    if (!bus || bus.state !== "connected" || event.repeat || event.ctrlKey || event.metaKey || event.altKey) return;
    if (["INPUT", "SELECT", "TEXTAREA"].includes(event.target.tagName)) return;
    if (document.querySelector("dialog[open]") || $("main").classList.contains("hidden")) return;
    if (event.key.toLowerCase() === "f") { event.preventDefault(); refer(); return; }
    const op = KEYS[event.key.toLowerCase()];
    if (op) { event.preventDefault(); act(op); }
  });
  // With a roster, the person signs out and the console waits for the next one; without
  // one, the console disconnects as before.
  $("sign-out").addEventListener("click", () => {
    if (staff.required()) { staff.signOut(); return; }
    bus.close(); showConsole(false); login.show();
  });
  const saved = login.saved();
  if (saved) { showConsole(true); connect(saved); } else login.show();
}

main();
