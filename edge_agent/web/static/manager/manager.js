// The lobby manager's tablet: VIP alerts first, then the queue at a glance.
"use strict";

const T = {
  title: ["大堂经理", "Lobby manager"],
  login: ["登录", "Sign in"], user: ["用户名", "User name"], password: ["密码", "Password"], sign_in: ["登录", "Sign in"],
  alerts: ["贵宾到店提醒", "VIP arrivals"], no_alerts: ["暂无新的贵宾提醒", "No VIP waiting for you"],
  queue: ["排队情况", "Queue now"], lang: ["English", "中文"],
  ticket: ["号码", "Ticket"], service: ["业务", "Service"], waited: ["已等候", "Waiting"], rm: ["客户经理", "Relationship manager"],
  card: ["卡号", "Card"], greeted: ["已接待", "Greeted"], referred: ["转介客户经理", "Referred to RM"], declined: ["客户婉拒", "Declined"],
  minutes: ["{m} 分钟", "{m} min"], stale: ["离线期间的提醒 · {m} 分钟前", "Arrived while offline · {m} min ago"],
  waiting_n: ["{n} 人等候", "{n} waiting"], longest: ["最长 {m} 分钟 / 目标 {t}", "longest {m} / target {t} min"],
  counters_open: ["开放柜台：{list}", "Open counters: {list}"], none: ["无", "none"],
  answered: ["已记录：{outcome}", "Recorded: {outcome}"], failed: ["未能记录：{error}", "Not recorded: {error}"],
  agent_offline: ["取号系统离线：新客户暂时无法取号", "Ticket system offline: customers cannot take tickets"],
  device: ["设备故障：{detail}", "Device problem: {detail}"], timeout: ["取号系统没有响应，请重试", "No answer from the ticket system; try again"],
};
// Set per tablet in the address: /manager/?escalate_s=60&stale_s=300
const PARAMS = new URLSearchParams(location.search);
const ESCALATE_AFTER_S = Number(PARAMS.get("escalate_s")) || 90;  // an unanswered VIP alert turns red after this long
const STALE_AFTER_S = Number(PARAMS.get("stale_s")) || 120;       // older than this on arrival: sent while we were offline

let client = null;
const alerts = new Map();     // alert id -> {payload, receivedAt, outcome}
const devices = {};
let agentState = "online";
let queueState = null;

function applyTexts() {
  document.querySelectorAll("[data-t]").forEach((el) => { el.textContent = Lobby.t(T[el.dataset.t]); });
  document.getElementById("lang").textContent = Lobby.t(T.lang);
  const cfg = Lobby.config;
  document.getElementById("branch").textContent = Lobby.lang === "zh" ? cfg.branch.name : (cfg.branch.name_en || cfg.branch.name);
  renderAlerts(); renderQueue(); renderBanner();
}

function ageSeconds(payload) { return Math.max(0, (Date.now() - Date.parse(payload.issued_at)) / 1000); }

function renderAlerts() {
  const box = document.getElementById("alerts");
  const items = [...alerts.values()].sort((a, b) => (!!a.outcome - !!b.outcome) || (Date.parse(a.payload.issued_at) - Date.parse(b.payload.issued_at)));
  document.getElementById("alert-count").textContent = items.filter((a) => !a.outcome).length;
  box.innerHTML = "";
  if (!items.length) { box.innerHTML = `<p class="muted empty">${Lobby.t(T.no_alerts)}</p>`; return; }
  for (const alert of items) box.appendChild(alertCard(alert));
}

function alertCard(alert) {
  const p = alert.payload;
  const age = ageSeconds(p);
  const tier = Lobby.config.tiers[p.tier] || { name_zh: p.tier, name_en: p.tier };
  const el = document.createElement("article");
  el.className = "card alert" + (alert.outcome ? " done" : age > ESCALATE_AFTER_S ? " escalated" : "") + (alert.stale ? " stale" : "");
  el.dataset.alertId = p.event_id;
  el.innerHTML = `
    <div class="who"><span class="name"></span><span class="pill vip"></span></div>
    ${alert.stale ? `<div class="age">${Lobby.t(T.stale, { m: Lobby.minutes(age) })}</div>` : ""}
    <div class="facts">
      <div><b>${Lobby.t(T.ticket)}</b><span class="ticket"></span></div>
      <div><b>${Lobby.t(T.service)}</b><span>${Lobby.name(Lobby.service(p.service))}</span></div>
      <div><b>${Lobby.t(T.waited)}</b><span class="waited">${Lobby.t(T.minutes, { m: Lobby.minutes(age) })}</span></div>
      <div><b>${Lobby.t(T.rm)}</b><span class="rm"></span></div>
      <div><b>${Lobby.t(T.card)}</b><span class="pan"></span></div>
    </div>
    <div class="actions">
      <button class="greeted">${Lobby.t(T.greeted)}</button>
      <button class="referred">${Lobby.t(T.referred)}</button>
      <button class="declined">${Lobby.t(T.declined)}</button>
    </div>
    <div class="result"></div>`;
  // Names from the CRM go in as text, never as HTML.
  el.querySelector(".name").textContent = p.customer.display_name;
  el.querySelector(".pill").textContent = Lobby.name(tier);
  el.querySelector(".ticket").textContent = p.ticket;
  el.querySelector(".rm").textContent = p.customer.rm || "—";
  el.querySelector(".pan").textContent = p.customer.masked_pan;
  if (alert.outcome) {
    el.querySelector(".actions").classList.add("hidden");
    el.querySelector(".result").textContent = Lobby.t(T.answered, { outcome: Lobby.t(T[alert.outcome]) });
  }
  for (const outcome of ["greeted", "referred", "declined"]) {
    el.querySelector("." + outcome).addEventListener("click", () => acknowledge(alert, outcome, el));
  }
  return el;
}

async function acknowledge(alert, outcome, el) {
  el.querySelectorAll("button").forEach((b) => (b.disabled = true));
  try {
    const answer = await Lobby.request(client, "alert_ack", { alert_id: alert.payload.event_id, by: sessionStorage.getItem("lobby.user") || "manager", outcome });
    if (answer.status === "ok" || answer.code === "alert_already_acknowledged") {
      alert.outcome = outcome;
      renderAlerts();
    } else {
      el.querySelector(".result").textContent = Lobby.t(T.failed, { error: answer.error });
      el.querySelectorAll("button").forEach((b) => (b.disabled = false));
    }
  } catch {
    el.querySelector(".result").textContent = Lobby.t(T.timeout);
    el.querySelectorAll("button").forEach((b) => (b.disabled = false));
  }
}

function renderQueue() {
  const box = document.getElementById("queue");
  if (!queueState) return;
  box.innerHTML = "";
  for (const svc of Lobby.config.services) {
    const s = queueState.services[svc.id];
    if (!s) continue;
    const late = s.longest_wait_s > s.target_wait_s;
    const row = document.createElement("div");
    row.className = "card svc";
    row.innerHTML = `<div class="name">${Lobby.name(svc)}</div><div class="n">${Lobby.t(T.waiting_n, { n: s.waiting })}</div>
      <div class="wait ${late ? "late" : ""}">${Lobby.t(T.longest, { m: Lobby.minutes(s.longest_wait_s), t: Lobby.minutes(s.target_wait_s) })}</div>`;
    box.appendChild(row);
  }
  const open = Object.entries(queueState.counters).filter(([, c]) => c.open).map(([id]) => Lobby.counterName(id));
  document.getElementById("counters").textContent = Lobby.t(T.counters_open, { list: open.join("、") || Lobby.t(T.none) });
}

function renderBanner() {
  const banner = document.getElementById("banner");
  const problems = Object.values(devices).filter((d) => d.status !== "ok" && d.status !== "paper_near_end");
  const warnings = Object.values(devices).filter((d) => d.status === "paper_near_end");
  let text = "";
  if (agentState !== "online") text = Lobby.t(T.agent_offline);
  else if (problems.length) text = Lobby.t(T.device, { detail: problems.map((d) => d.detail).join("; ") });
  else if (warnings.length) text = Lobby.t(T.device, { detail: warnings.map((d) => d.detail).join("; ") });
  banner.textContent = text;
  banner.className = "banner" + (text ? " show" : "") + (!problems.length && warnings.length && agentState === "online" ? " warn" : "");
}

function onAlert(payload) {
  if (alerts.has(payload.event_id)) return;  // QoS 1: duplicates are possible, drop them
  const stale = ageSeconds(payload) > STALE_AFTER_S;
  alerts.set(payload.event_id, { payload, stale, outcome: null });
  renderAlerts();
  if (!stale) {
    Lobby.chime(3);
    if (navigator.vibrate) navigator.vibrate([200, 100, 200]);
  }
}

function start(username, password) {
  const conn = document.getElementById("conn");
  // One stable client id per tablet and user: the broker keeps the session (and queues
  // alerts) while the tablet is away.
  let device = localStorage.getItem("lobby.device");
  if (!device) { device = Math.random().toString(16).slice(2, 10); localStorage.setItem("lobby.device", device); }
  client = Lobby.connect({
    username, password, clientId: `lobby-manager-${username}-${device}`, persistent: true,
    onState: (state) => {
      Lobby.showConnection(conn, state);
      if (state === "connected") {
        sessionStorage.setItem("lobby.user", username);
        document.getElementById("login").classList.add("hidden");
        document.getElementById("main").classList.remove("hidden");
      }
      if (state === "refused") {
        document.getElementById("login-error").textContent = Lobby.t([
          "用户名或密码错误，请向技术人员确认", "Wrong user name or password; ask the technician"]);
        document.getElementById("login").classList.remove("hidden");
        document.getElementById("main").classList.add("hidden");
      }
    },
  });
  client.on("connect", () => {
    client.subscribe([Lobby.topic("alerts/vip"), Lobby.topic("queue/state"), Lobby.topic("agent/state"), Lobby.topic("devices/+/state")], { qos: 1 });
  });
  client.on("message", (topic, message) => {
    const data = Lobby.json(message);
    if (!data) return;
    const rel = topic.slice(Lobby.config.root.length);
    if (rel === "alerts/vip") onAlert(data);
    else if (rel === "queue/state") { queueState = data; renderQueue(); }
    else if (rel === "agent/state") { agentState = data.state; renderBanner(); }
    else if (rel.startsWith("devices/")) { devices[rel.split("/")[1]] = data; renderBanner(); }
  });
}

(async () => {
  await Lobby.loadConfig();
  Lobby.onLang(applyTexts);
  Lobby.setLang(Lobby.lang);
  document.getElementById("lang").addEventListener("click", () => Lobby.setLang(Lobby.lang === "zh" ? "en" : "zh"));
  Lobby.showConnection(document.getElementById("conn"), "offline");
  document.getElementById("login-form").addEventListener("submit", (e) => {
    e.preventDefault();
    document.getElementById("login-error").textContent = "";
    if (client) client.end(true);
    start(document.getElementById("user").value.trim(), document.getElementById("password").value);
  });
  setInterval(renderAlerts, 15000);  // ages and escalation move on by themselves
})();
