// The hall display: the latest call large, the previous few, waiting counts, a clock.
// It reconnects by itself (mqtt.js reconnectPeriod) and resubscribes on every connect.
"use strict";

const HISTORY = 5;
const seen = new Set();   // event ids: QoS 1 may deliver twice
let recentCalls = [];

function credentials() {
  const hash = new URLSearchParams(location.hash.slice(1));
  if (hash.get("u") && hash.get("p")) {
    localStorage.setItem("lobby.display", JSON.stringify({ username: hash.get("u"), password: hash.get("p") }));
    window.history.replaceState(null, "", location.pathname);  // keep the password out of the address bar
  }
  const saved = localStorage.getItem("lobby.display");
  return saved ? JSON.parse(saved) : null;
}

function showCall(call, flash) {
  document.getElementById("now-ticket").textContent = call.ticket;
  const counter = Lobby.config.counters.find((c) => c.id === call.counter) || { name_zh: call.counter, name_en: call.counter };
  document.getElementById("now-counter").textContent = counter.name_zh;
  document.getElementById("now-counter-en").textContent = counter.name_en;
  if (flash) {
    const now = document.getElementById("now");
    now.classList.remove("flash");
    void now.offsetWidth;  // restart the animation
    now.classList.add("flash");
  }
  const list = document.getElementById("history");
  list.innerHTML = "";
  for (const old of recentCalls.slice(1, HISTORY + 1)) {
    const li = document.createElement("li");
    const c = Lobby.config.counters.find((x) => x.id === old.counter);
    li.innerHTML = `<span></span><span class="to"></span>`;
    li.children[0].textContent = old.ticket;
    li.children[1].textContent = c ? c.name_zh : old.counter;
    list.appendChild(li);
  }
}

function onCalled(event) {
  if (seen.has(event.event_id)) return;
  seen.add(event.event_id);
  recentCalls = [event, ...recentCalls.filter((h) => h.ticket !== event.ticket)].slice(0, HISTORY + 1);
  showCall(event, true);
  if (event.announce !== false) Lobby.chime(event.recall ? 3 : 2);
  document.body.dataset.lastCall = `${event.ticket}@${event.counter}`;  // for tests and remote checks
}

function renderWaiting(state) {
  const box = document.getElementById("waiting");
  box.innerHTML = "";
  for (const svc of Lobby.config.services) {
    const s = state.services[svc.id];
    const div = document.createElement("div");
    div.innerHTML = `<div class="svc"></div><div class="n"></div>`;
    div.children[0].textContent = svc.name_zh;
    const en = document.createElement("span");
    en.className = "en";
    en.textContent = svc.name_en;
    div.children[0].appendChild(en);
    div.children[1].textContent = s ? `${s.waiting} 人` : "0 人";
    box.appendChild(div);
  }
}

(async () => {
  const config = await Lobby.loadConfig();
  document.getElementById("branch").textContent = config.branch.name;
  document.getElementById("branch-en").textContent = config.branch.name_en;
  Lobby.clock(document.getElementById("clock"));
  const login = credentials();
  if (!login) { document.getElementById("setup").classList.remove("hidden"); document.getElementById("main").classList.add("hidden"); return; }
  const conn = document.getElementById("conn");
  const client = Lobby.connect({
    ...login,
    onState: (state) => {
      Lobby.showConnection(conn, state);
      document.body.dataset.connection = state;
      if (state === "refused") {
        document.getElementById("setup").classList.remove("hidden");
        document.getElementById("setup-error").textContent = "显示屏账号被拒绝 · The display's user name or password was refused";
      }
    },
  });
  client.on("connect", () => client.subscribe([Lobby.topic("events/called"), Lobby.topic("queue/state"), Lobby.topic("agent/state")], { qos: 1 }));
  client.on("message", (topic, message) => {
    const data = Lobby.json(message);
    if (!data) return;
    const rel = topic.slice(config.root.length);
    if (rel === "events/called") onCalled(data);
    else if (rel === "queue/state") renderWaiting(data);
  });
})();
