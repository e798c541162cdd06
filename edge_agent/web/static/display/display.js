// The hall display (a TV, 1920×1080): the latest call large, the previous few, how many
// wait for each service, a clock. Both languages at once, one of them first (L swaps, or
// ?lang=en). It recovers by itself: mqtt.js reconnects, we resubscribe on every connect,
// and the retained queue/state redraws the screen. The branch's promotions for everyone
// (营销信息, the retained `promotions`) take the free space under the recent calls, one at a
// time; they never cover a call.
//
// Set-up, once per TV: open /display/#u=<display user>&p=<password> (credentials.json,
// role "display"). The browser keeps them (localStorage) and the address bar drops them.
// /display/#forget removes them.
import { current as branch, counter, loadBranch, service } from "../shared/branch.js";
import { Bus, FINAL_STATES } from "../shared/bus.js";
import { lang, onLang, setLang } from "../shared/i18n.js";
import { AgentLiveness } from "../shared/liveness.js";
import { audioReady, callChime, unlockAudio } from "../shared/sound.js";
import { endedWords } from "../shared/status.js";

const RECENT = 5;
const TEXTS = {
  caption: ["请以下号码到窗口办理", "Now calling"],
  recent: ["最近叫号", "Recent calls"],
  none_yet: ["暂无", "None yet"],
  welcome: ["欢迎光临", "Welcome"],
  welcome_hint: ["请取号后留意叫号", "Please take a ticket and watch for your number"],
  ticker: ["请留意屏幕与广播叫号 · 过号请到服务台重新取号", "Please listen for your number · if you miss it, ask at the help desk"],
  waiting: ["人等候", "waiting"], eta: ["约 {m} 分钟", "about {m} min"], eta_none: ["暂停办理", "Not open now"],
  next: ["下一位 {t} · 约 {m} 分钟", "Next {t} · about {m} min"], next_now: ["下一位 {t} · 马上", "Next {t} · now"],
  recall: ["重呼", "Calling again"],
  link: ["正在恢复连接…", "Reconnecting…"], agent: ["叫号系统暂停，请稍候", "Queue system paused, please wait"],
  sound: ["点击开启提示音", "Tap to enable sound"],
  setup_title: ["叫号屏设置", "Hall display set-up"],
  refused: ["叫号屏账号被拒绝：请核对 credentials.json 中 display 的用户名和密码，再打开一次设置地址。",
            "The display's account was refused: check the display user name and password in credentials.json, then open the set-up address again."],
  setup_text: ["请用叫号屏账号（credentials.json 中的 display）打开一次以下地址，浏览器会记住它：",
               "Open this address once with the display account (role \"display\" in credentials.json); the browser remembers it:"],
};
const TOPICS = ["events/called", "queue/state", "agent/state", "promotions"];
const PROMOTION_EVERY_MS = 12000;
// With a promotion showing, the recent calls keep this many rows (the latest call is never touched).
const RECENT_BESIDE_PROMOTION = 3;

const $ = (id) => document.getElementById(id);
let bus = null, queueState = null, agentSince = null;
let calls = [];  // newest first
let promotions = [], promotionIndex = 0;

// Both languages, the chosen one first: pair -> [first, second].
function both(pair, values = {}) {
  const fill = (text) => text.replace(/\{(\w+)\}/g, (_, k) => String(values[k] ?? ""));
  const [zh, en] = pair.map(fill);
  return lang() === "en" ? [en, zh] : [zh, en];
}
function set(id, pair, values) { const [a, b] = both(pair, values); $(`${id}-1`).textContent = a; $(`${id}-2`).textContent = b; }
function names(item) { return both([item.name_zh, item.name_en]); }

function credentials() {
  const hash = new URLSearchParams(location.hash.slice(1));
  if (hash.has("forget")) localStorage.removeItem("lobby.display.login");
  if (hash.get("u") && hash.get("p")) {
    localStorage.setItem("lobby.display.login", JSON.stringify({ username: hash.get("u"), password: hash.get("p") }));
  }
  if (location.hash) history.replaceState(null, "", location.pathname + location.search);  // no password in the address bar
  try { return JSON.parse(localStorage.getItem("lobby.display.login")); } catch { return null; }
}

// Calls survive a reload (the TV may be power-cycled); yesterday's are dropped.
function loadCalls() {
  const today = new Date().toDateString();
  try { calls = (JSON.parse(localStorage.getItem("lobby.display.calls")) || []).filter((c) => new Date(c.at).toDateString() === today); } catch { calls = []; }
}
function saveCalls() { localStorage.setItem("lobby.display.calls", JSON.stringify(calls.slice(0, RECENT + 1))); }

function renderNow(flash) {
  const latest = calls[0];
  $("now-call").classList.toggle("hidden", !latest);
  $("now-welcome").classList.toggle("hidden", Boolean(latest));
  $("now").classList.toggle("idle", !latest);
  $("now-caption").classList.toggle("hidden", !latest);
  if (!latest) {
    set("welcome", TEXTS.welcome);
    $("welcome-hint").textContent = both(TEXTS.welcome_hint).join("  ·  ");
    return;
  }
  $("now-ticket").textContent = latest.ticket;
  const [first, second] = names(counter(latest.counter));
  $("now-counter-1").textContent = first;
  $("now-counter-2").textContent = second;
  $("now-recall").classList.toggle("hidden", !latest.recall);
  $("now-recall").textContent = both(TEXTS.recall).join(" · ");
  if (flash) {
    const now = $("now");
    now.classList.remove("flash");
    void now.offsetWidth;  // restart the animation for a call that follows a call
    now.classList.add("flash");
  }
}

// The calls before the latest; on a screen that has seen none yet (just switched on), the
// tickets the counters are serving now, from the retained queue/state.
function renderRecent() {
  const rows = promotions.length ? RECENT_BESIDE_PROMOTION : RECENT;
  let shown = calls.slice(1, rows + 1);
  if (!calls.length && queueState) {
    shown = Object.entries(queueState.counters).filter(([, c]) => c.serving).map(([id, c]) => ({ ticket: c.serving, counter: id })).slice(0, rows);
  }
  if (!shown.length) {
    const none = document.createElement("li");
    none.className = "r-none";
    none.textContent = both(TEXTS.none_yet).join("  ");
    $("recent").replaceChildren(none);
    return;
  }
  $("recent").replaceChildren(...shown.map((call) => {
    const li = document.createElement("li");
    li.innerHTML = "<span class=\"r-ticket num\"></span><span class=\"r-counter\"></span>";
    li.children[0].textContent = call.ticket;
    li.children[1].textContent = names(counter(call.counter))[0];
    return li;
  }));
}

// One promotion at a time in the free area; the hall is public, so only those for everyone.
function renderPromotion() {
  const box = $("promo");
  box.classList.toggle("hidden", !promotions.length);
  if (!promotions.length) return;
  const p = promotions[promotionIndex % promotions.length];
  $("promo-title").textContent = p.title;
  $("promo-body").textContent = p.text;
  const img = $("promo-img");
  img.classList.toggle("hidden", !p.image);
  if (p.image) img.src = p.image; else img.removeAttribute("src");
  box.dataset.promotionId = p.promotion_id;
}

function onPromotions(state) {
  promotions = (state.promotions || []).filter((p) => !p.tiers.length);
  promotionIndex = 0;
  renderPromotion();
  renderRecent();
}

function renderWaiting() {
  $("waiting").replaceChildren(...branch().services.map((svc) => {
    const s = queueState && queueState.services[svc.id];
    const tile = document.createElement("div");
    tile.className = "tile";
    tile.dataset.service = svc.id;
    tile.innerHTML = "<div class=\"t-name\"></div><div class=\"t-name-2\"></div><div class=\"t-n\"><b class=\"num\"></b><span></span></div><div class=\"t-eta\"></div><div class=\"t-next\"></div>";
    const [first, second] = names(service(svc.id));
    tile.children[0].textContent = first;
    tile.children[1].textContent = second;
    tile.querySelector(".t-n b").textContent = s ? s.waiting : 0;
    tile.querySelector(".t-n span").textContent = both(TEXTS.waiting)[0];
    const eta = !s ? "" : s.counters_open === 0 ? both(TEXTS.eta_none)[0] : s.waiting && s.eta_min != null ? both(TEXTS.eta, { m: s.eta_min })[0] : "";
    tile.children[3].textContent = eta;
    // The first in line and their own wait, re-estimated as the queue moves (queue/state's waiting_etas).
    const next = s && s.counters_open && s.waiting_etas && s.waiting_etas[0];
    tile.children[4].textContent = !next || next.eta_min == null ? ""
      : both(next.eta_min === 0 ? TEXTS.next_now : TEXTS.next, { t: next.ticket, m: next.eta_min })[0];
    return tile;
  }));
}

function renderStatic() {
  const b = branch().branch;
  const [first, second] = both([b.name, b.name_en]);
  $("branch-1").textContent = first;
  $("branch-2").textContent = second;
  set("caption", TEXTS.caption);
  set("recent", TEXTS.recent);
  set("ticker", TEXTS.ticker);
  $("notice-link").textContent = both(TEXTS.link).join("  ");
  $("notice-agent").textContent = both(TEXTS.agent).join("  ");
  $("notice-sound").textContent = both(TEXTS.sound).join(" · ");
  renderNow(false);
  renderRecent();
  renderWaiting();
}

function tick() {
  const now = new Date();
  $("time").textContent = now.toLocaleTimeString("zh-CN", { hour: "2-digit", minute: "2-digit", hour12: false });
  $("date").textContent = now.toLocaleDateString(lang() === "en" ? "en-GB" : "zh-CN", { weekday: "long", month: "long", day: "numeric" });
  $("notice-sound").classList.toggle("hidden", audioReady());
}

function onCalled(event) {
  if (!bus.firstTime(event.event_id)) return;
  calls = [event, ...calls.filter((c) => c.ticket_id !== event.ticket_id)].slice(0, RECENT + 1);
  saveCalls();
  renderNow(true);
  renderRecent();
  if (event.announce) callChime(event.recall);
  document.body.dataset.lastCall = `${event.ticket}@${event.counter}`;  // for tests and a technician's remote check
}

const liveness = new AgentLiveness((online) => $("notice-agent").classList.toggle("hidden", online));

async function onAgentState(data) {
  liveness.heard(data);
  const agentOnline = data.state === "online";
  // The agent restarted: its configuration may have changed (services, counter names).
  if (agentOnline && agentSince && data.since !== agentSince) { await loadBranch(); renderStatic(); }
  if (agentOnline) agentSince = data.since;
}

function onMessage(topic, data) {
  if (topic === "events/called") onCalled(data);
  else if (topic === "queue/state") { queueState = data; renderWaiting(); if (!calls.length) renderRecent(); }
  else if (topic === "agent/state") onAgentState(data);
  else if (topic === "promotions") onPromotions(data);
}

function showSetup(error = "") {
  $("setup").classList.remove("hidden");
  $("setup-title").textContent = both(TEXTS.setup_title).join(" · ");
  $("setup-text").textContent = both(TEXTS.setup_text).join("\n");
  $("setup-url").textContent = `${location.origin}/display/#u=${branch().branch.id}-display&p=…`;
  $("setup-error").textContent = error;
}

async function main() {
  await loadBranch();
  const chosen = new URLSearchParams(location.search).get("lang");
  if (chosen) setLang(chosen);
  onLang(() => { renderStatic(); tick(); });
  setLang(lang());
  loadCalls();
  renderStatic();
  tick();
  setInterval(tick, 1000);
  setInterval(() => { promotionIndex += 1; renderPromotion(); }, PROMOTION_EVERY_MS);
  document.addEventListener("keydown", (e) => { if (e.key.toLowerCase() === "l") setLang(lang() === "zh" ? "en" : "zh"); });
  $("notice-sound").addEventListener("click", unlockAudio);
  document.addEventListener("click", unlockAudio);
  const login = credentials();
  if (!login) { showSetup(); return; }
  bus = new Bus({
    ...login, topics: TOPICS, onMessage,
    onState: (state) => {
      document.body.dataset.connection = state;
      $("notice-link").classList.toggle("hidden", state === "connected" || FINAL_STATES.has(state));
      if (FINAL_STATES.has(state) && state !== "closed") showSetup(state === "refused" ? both(TEXTS.refused).join("\n") : endedWords(state, "display"));
    },
  });
  window.lobby = { bus };
}

main();
