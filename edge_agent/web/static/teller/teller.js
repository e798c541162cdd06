// The teller's counter console: every action is a request to the agent; the screen shows its answer.
"use strict";

const T = {
  title: ["柜员叫号", "Teller console"], login: ["登录", "Sign in"], user: ["用户名", "User name"], password: ["密码", "Password"],
  sign_in: ["登录", "Sign in"], lang: ["English", "中文"], serving: ["正在服务", "Now serving"],
  call_next: ["呼叫下一位", "Call next"], recall: ["重呼", "Recall"], complete: ["办结", "Complete"], no_show: ["过号", "No-show"],
  transfer: ["转移", "Transfer"], open: ["开启窗口", "Open counter"], close: ["关闭窗口", "Close counter"],
  waited: ["已等候 {m} 分钟", "waited {m} min"], counter_open: ["窗口已开启", "Counter open"], counter_closed: ["窗口已关闭", "Counter closed"],
  done_call_next: ["已呼叫 {ticket}", "Called {ticket}"], done_recall: ["已重呼 {ticket}", "Recalled {ticket}"],
  done_complete: ["{ticket} 已办结", "{ticket} completed"], done_no_show: ["{ticket} 已标记过号", "{ticket} marked no-show"],
  done_transfer: ["{ticket} 已转至 {service}", "{ticket} moved to {service}"], done_counter_open: ["窗口已开启", "Counter opened"],
  done_counter_close: ["窗口已关闭", "Counter closed"], timeout: ["取号系统没有响应，请重试", "No answer from the ticket system; try again"],
  waiting_n: ["{service}", "{service}"], agent_offline: ["取号系统离线", "Ticket system offline"],
};
const KEYS = { n: "call_next", r: "recall", c: "complete", x: "no_show", t: "transfer", o: "counter_open", q: "counter_close" };

let client = null, queueState = null, agentState = "online";
let serving = null;  // the last answer about the ticket at this counter

function counter() { return document.getElementById("counter").value; }

function applyTexts() {
  document.querySelectorAll("[data-t]").forEach((el) => { el.textContent = Lobby.t(T[el.dataset.t]); });
  document.getElementById("lang").textContent = Lobby.t(T.lang);
  const cfg = Lobby.config;
  document.getElementById("branch").textContent = Lobby.lang === "zh" ? cfg.branch.name : (cfg.branch.name_en || cfg.branch.name);
  const select = document.getElementById("counter"), keep = select.value || localStorage.getItem("lobby.counter");
  select.innerHTML = cfg.counters.map((c) => `<option value="${c.id}">${Lobby.name(c)}</option>`).join("");
  if (keep) select.value = keep;
  const to = document.getElementById("to_service"), keepTo = to.value;
  to.innerHTML = cfg.services.map((s) => `<option value="${s.id}">${Lobby.name(s)}</option>`).join("");
  if (keepTo) to.value = keepTo;
  render();
}

function render() {
  const number = document.getElementById("number"), details = document.getElementById("details");
  const state = queueState && queueState.counters[counter()];
  const label = state ? state.serving : null;
  number.textContent = label || Lobby.t(["空闲", "Idle"]);
  number.classList.toggle("idle", !label);
  details.innerHTML = "";
  if (serving && label === serving.ticket) {
    const tier = Lobby.config.tiers[serving.tier] || { name_zh: serving.tier, name_en: serving.tier };
    details.innerHTML = `<span class="pill ${serving.tier === "vip" ? "vip" : ""}"></span><span></span><span class="muted"></span>`;
    details.children[0].textContent = Lobby.name(tier);
    details.children[1].textContent = Lobby.name(Lobby.service(serving.service));
    details.children[2].textContent = Lobby.t(T.waited, { m: Lobby.minutes(serving.waited_s) });
  }
  document.getElementById("counter-state").textContent = state ? Lobby.t(state.open ? T.counter_open : T.counter_closed) : "";
  const waiting = document.getElementById("waiting");
  if (queueState && state) {
    waiting.innerHTML = "";
    for (const id of state.services) {
      const s = queueState.services[id];
      const div = document.createElement("div");
      div.textContent = Lobby.name(Lobby.service(id));
      const b = document.createElement("b");
      b.textContent = s ? s.waiting : 0;
      div.appendChild(b);
      waiting.appendChild(div);
    }
  }
  const banner = document.getElementById("banner");
  banner.textContent = agentState === "online" ? "" : Lobby.t(T.agent_offline);
  banner.className = "banner" + (agentState === "online" ? "" : " show");
}

function say(text, kind) {
  const el = document.getElementById("message");
  el.textContent = text;
  el.className = "card message " + kind;
}

async function act(op) {
  const fields = op === "transfer"
    ? { ticket: (queueState && queueState.counters[counter()] || {}).serving || "", to_service: document.getElementById("to_service").value, counter: counter() }
    : { counter: counter() };
  if (["recall", "complete", "no_show"].includes(op) && serving) fields.ticket = serving.ticket;  // guard against a stale screen
  document.querySelectorAll(".actions button").forEach((b) => (b.disabled = true));
  try {
    const answer = await Lobby.request(client, op, fields);
    if (answer.status === "ok") {
      const data = answer.data || {};
      if (op === "call_next" || op === "recall") serving = data;
      if (["complete", "no_show", "transfer"].includes(op)) serving = null;
      say(Lobby.t(T["done_" + op], { ticket: data.ticket || "", service: data.service ? Lobby.name(Lobby.service(data.service)) : "" }), "ok");
    } else {
      say(answer.error, "error");  // the agent's own sentence, e.g. "Counter 3 is closed: open it before calling a ticket."
    }
  } catch {
    say(Lobby.t(T.timeout), "error");
  } finally {
    document.querySelectorAll(".actions button").forEach((b) => (b.disabled = false));
    render();
  }
}

function start(username, password) {
  const conn = document.getElementById("conn");
  client = Lobby.connect({
    username, password,
    onState: (state) => {
      Lobby.showConnection(conn, state);
      if (state === "connected") {
        document.getElementById("login").classList.add("hidden");
        document.getElementById("main").classList.remove("hidden");
      }
      if (state === "refused") document.getElementById("login-error").textContent = Lobby.t(["用户名或密码错误", "Wrong user name or password"]);
    },
  });
  client.on("connect", () => client.subscribe([Lobby.topic("queue/state"), Lobby.topic("agent/state")], { qos: 1 }));
  client.on("message", (topic, message) => {
    const data = Lobby.json(message);
    if (!data) return;
    const rel = topic.slice(Lobby.config.root.length);
    if (rel === "queue/state") { queueState = data; render(); }
    else if (rel === "agent/state") { agentState = data.state; render(); }
  });
}

(async () => {
  await Lobby.loadConfig();
  Lobby.onLang(applyTexts);
  Lobby.setLang(Lobby.lang);
  document.getElementById("lang").addEventListener("click", () => Lobby.setLang(Lobby.lang === "zh" ? "en" : "zh"));
  document.getElementById("counter").addEventListener("change", () => { localStorage.setItem("lobby.counter", counter()); serving = null; render(); });
  for (const op of Object.values(KEYS)) document.getElementById(op).addEventListener("click", () => act(op));
  document.addEventListener("keydown", (e) => {
    if (!client || e.target.tagName === "INPUT" || e.ctrlKey || e.metaKey || e.altKey) return;
    const op = KEYS[e.key.toLowerCase()];
    if (op) { e.preventDefault(); act(op); }
  });
  Lobby.showConnection(document.getElementById("conn"), "offline");
  document.getElementById("login-form").addEventListener("submit", (e) => {
    e.preventDefault();
    if (client) client.end(true);
    start(document.getElementById("user").value.trim(), document.getElementById("password").value);
  });
})();
