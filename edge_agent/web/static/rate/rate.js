// The rating screen at a counter (服务评价屏), facing the customer: who serves them (name and
// staff number), the ticket being served, and, when the teller completes it, the question
// 非常满意 / 满意 / 不满意 (or five points), with reasons on a low score. Votes go to the agent
// as request/rate for the prompt it opened; it accepts one vote per prompt, only while open.
//
// One per counter: /rate/?counter=3 (remembered by the tablet). The device signs in once with
// the branch's `rater` user; no person signs in here.
import { counter as counterOf, current as branch, loadBranch } from "../shared/branch.js";
import { explain } from "../shared/errors.js";
import { applyTexts, languageToggle, lang, named, onLang, setLang, t } from "../shared/i18n.js";
import { loginScreen } from "../shared/login.js";
import { PageLink } from "../shared/page-link.js";

const TEXTS = {
  welcome: ["欢迎光临", "Welcome"],
  welcome_hint: ["请留意叫号，到本窗口办理业务", "Please listen for your number at this counter"],
  serving: ["正在为您服务", "Now serving you"],
  please_rate: ["请对本次服务进行评价", "Please rate our service"],
  why: ["请告诉我们哪里做得不好（可多选）", "Please tell us what went wrong (choose any)"],
  send: ["提交评价", "Send"],
  thanks: ["感谢您的评价", "Thank you for your rating"],
};
const WORDS = {
  staff_no: ["工号 {id}", "Staff no. {id}"], nobody: ["本窗口暂停服务", "This counter is not open"],
  closes: ["{n} 秒后自动关闭", "Closes in {n} s"],
  thanks_low: ["大堂经理会马上来了解情况", "The lobby manager will come to you shortly"],
  thanks_good: ["欢迎再次光临", "We look forward to seeing you again"],
};
const THANKS_MS = 6000;
const TOPICS = ["agent/state", "queue/state", "staff/state", "events/called", "events/rating_prompt"];
const $ = (id) => document.getElementById(id);

let bus = null, login = null, here = null, queueState = null, staffState = null;
let prompt = null, chosen = null, picked = new Set(), thanked = null, sending = false;

function counterId() {
  const fromUrl = new URLSearchParams(location.search).get("counter");
  if (fromUrl) localStorage.setItem("lobby.rate.counter", fromUrl);
  return localStorage.getItem("lobby.rate.counter") || branch().counters[0].id;
}

// The teller signed in at this counter, from staff/state.
function teller() {
  if (!staffState) return null;
  return staffState.signed_in.find((s) => s.page === "teller" && s.counter === here) || null;
}

function show(screen) {
  for (const id of ["idle", "serving", "prompt", "thanks"]) $(id).classList.toggle("hidden", id !== screen);
  document.body.dataset.screen = screen;
}

function render() {
  $("counter-name").textContent = named(counterOf(here));
  $("branch-name").textContent = t([branch().branch.name, branch().branch.name_en]);
  const who = teller();
  const byPrompt = prompt && prompt.staff_name ? { name: prompt.staff_name, staff_id: prompt.staff_id } : null;
  const person = byPrompt || who;
  $("teller-card").classList.toggle("hidden", !person);
  if (person) {
    $("teller-name").textContent = person.name;
    $("teller-no").textContent = t(WORDS.staff_no, { id: person.staff_id });
  }
  if (thanked && Date.now() < thanked.until) {
    show("thanks");
    $("thanks-more").textContent = t(thanked.low ? WORDS.thanks_low : WORDS.thanks_good);
    return;
  }
  if (prompt && Date.now() < Date.parse(prompt.closes_at)) { show("prompt"); renderPrompt(); return; }
  const serving = queueState && queueState.counters[here] ? queueState.counters[here].serving : null;
  if (serving) { show("serving"); $("serving-ticket").textContent = serving; return; }
  show("idle");
  const open = queueState && queueState.counters[here] && queueState.counters[here].open;
  $("idle").querySelector(".muted").textContent = open ? t(TEXTS.welcome_hint) : t(WORDS.nobody);
}

function renderPrompt() {
  const { scale, labels, low_score: low, reasons } = branch().ratings;
  const scores = $("scores");
  if (scores.dataset.prompt !== prompt.prompt_id || scores.dataset.lang !== lang()) {
    scores.dataset.prompt = prompt.prompt_id;
    scores.dataset.lang = lang();
    scores.replaceChildren(...Array.from({ length: scale }, (_, i) => scale - i).map((score) => {
      const button = document.createElement("button");
      button.type = "button";
      button.className = `score ${score <= low ? "low" : score === scale ? "good" : "mid"}`;
      button.dataset.score = score;
      button.innerHTML = '<span class="face" aria-hidden="true"></span><span class="words"></span>';
      button.querySelector(".face").textContent = "★".repeat(score);
      button.querySelector(".words").textContent = t(labels[String(score)]);
      button.addEventListener("click", () => choose(score));
      return button;
    }));
    $("reasons").replaceChildren(...reasons.map((reason) => {
      const tag = document.createElement("button");
      tag.type = "button";
      tag.className = "reason";
      tag.dataset.reason = reason.code;
      tag.textContent = named(reason);
      tag.setAttribute("aria-pressed", String(picked.has(reason.code)));
      tag.addEventListener("click", () => {
        if (picked.has(reason.code)) picked.delete(reason.code); else picked.add(reason.code);
        tag.setAttribute("aria-pressed", String(picked.has(reason.code)));
      });
      return tag;
    }));
  }
  for (const button of scores.children) {
    button.classList.toggle("chosen", Number(button.dataset.score) === chosen);
    button.disabled = sending;
  }
  const asking = chosen !== null && chosen <= low;
  $("reasons-box").classList.toggle("hidden", !asking);
  $("prompt").classList.toggle("why", asking);
  $("send").disabled = sending;
  const left = Math.max(0, Math.round((Date.parse(prompt.closes_at) - Date.now()) / 1000));
  $("countdown").textContent = t(WORDS.closes, { n: left });
}

function choose(score) {
  chosen = score;
  if (score <= branch().ratings.low_score) { renderPrompt(); return; }  // ask why first
  vote();
}

async function vote() {
  if (!prompt || sending) return;
  sending = true;
  $("error").textContent = "";
  renderPrompt();
  const answer = await bus.request("rate", { counter: here, prompt_id: prompt.prompt_id, score: chosen, reasons: [...picked] });
  sending = false;
  if (answer.status === "ok") {
    thanked = { until: Date.now() + THANKS_MS, low: answer.data.low };
    finishPrompt();
  } else {
    $("error").textContent = explain(answer);
    if (answer.code === "prompt_closed" || answer.code === "unknown_prompt") setTimeout(finishPrompt, 2500);
    else renderPrompt();
  }
}

function finishPrompt() {
  prompt = null; chosen = null; picked = new Set();
  $("error").textContent = "";
  render();
}

function onMessage(topic, data) {
  if (topic === "queue/state") queueState = data;
  else if (topic === "staff/state") staffState = data;
  else if (topic === "events/rating_prompt") {
    if (data.counter !== here || !bus.firstTime(data.event_id)) return;
    if (data.state === "open") { prompt = data; chosen = null; picked = new Set(); thanked = null; }
    else if (prompt && prompt.prompt_id === data.prompt_id && data.close_reason !== "answered") finishPrompt();
  } else if (topic === "events/called" && data.counter === here && bus.firstTime(data.event_id)) {
    if (prompt) finishPrompt();  // the counter moved on: the agent closes the prompt too
    thanked = null;
  }
  render();
}


const link = new PageLink({
  role: "rater", chip: $("conn"), topics: TOPICS, onMessage,
  options: () => ({ clientId: `rate-${here}` }),
  onBus: (b) => { bus = b; },
  onConnected: () => { $("main").classList.remove("hidden"); render(); },
  onEnded: () => $("main").classList.add("hidden"),
});
const connect = (credentials) => link.connect(credentials);

async function main() {
  await loadBranch();
  here = counterId();
  languageToggle($("lang"));
  link.login = login = loginScreen({ role: "rater", container: $("login"), onSubmit: connect });
  onLang(() => { applyTexts(TEXTS); render(); });
  setLang(lang());
  $("send").addEventListener("click", vote);
  // Countdowns and the thank-you run on the clock.
  setInterval(() => { if (bus && bus.state === "connected") { if (prompt) renderPrompt(); if (prompt || thanked) render(); } }, 1000);
  const saved = login.saved();
  if (saved) connect(saved); else login.show();
}

main();
