// The lobby at a glance, from the retained queue/state: who is waiting for what, the
// longest wait against the service's target, and which counters are open.
import { current as branch, counter, service } from "../shared/branch.js";
import { clockTime, duration, named, t } from "../shared/i18n.js";

const TEXTS = {
  waiting: ["人等候", "waiting"],
  longest: ["最长 {wait} · 目标 {target}", "Longest {wait} · target {target}"],
  eta: ["新取号约等 {eta}", "New ticket waits ~{eta}"],
  no_counter: ["无窗口开放", "No counter open"],
  counters_open: ["{n} 个窗口开放", "{n} counter(s) open"],
  not_open: ["未开放", "Not open"],
  nobody: ["无人等候 · 目标 {target}", "Nobody waiting · target {target}"],
  closed: ["关闭", "Closed"],
  idle: ["空闲", "Free"],
  updated: ["更新于 {time}", "Updated {time}"],
  none_yet: ["正在读取排队情况…", "Reading the queue…"],
};

export function renderQueue(servicesEl, countersEl, updatedEl, state) {
  if (!state) {
    servicesEl.innerHTML = `<p class="muted"></p>`;
    servicesEl.firstChild.textContent = t(TEXTS.none_yet);
    return;
  }
  servicesEl.replaceChildren(...branch().services.map((svc) => serviceRow(svc, state.services[svc.id])));
  countersEl.replaceChildren(...Object.entries(state.counters).map(([id, c]) => counterChip(id, c)));
  updatedEl.textContent = t(TEXTS.updated, { time: clockTime(new Date(state.at)) });
}

function serviceRow(svc, s) {
  const row = document.createElement("div");
  row.className = "svc";
  row.dataset.service = svc.id;
  const waiting = s ? s.waiting : 0;
  const longest = s ? s.longest_wait_s : 0;
  const target = (s && s.target_wait_s) || svc.target_wait_s;
  const share = target ? longest / target : 0;
  const level = share >= 1 ? "bad" : share >= 0.75 ? "warn" : "ok";
  row.innerHTML = `
    <div class="svc-name"></div>
    <div class="svc-count"><b class="num"></b><span></span></div>
    <div class="meter meter-${level}"><i></i></div>
    <div class="svc-detail"><span class="svc-longest"></span><span class="svc-eta"></span></div>`;
  row.querySelector(".svc-name").textContent = named(service(svc.id));
  row.querySelector(".svc-count b").textContent = waiting;
  row.querySelector(".svc-count span").textContent = t(TEXTS.waiting);
  row.querySelector(".meter i").style.width = `${Math.min(100, Math.round(share * 100))}%`;
  row.querySelector(".svc-longest").textContent = waiting
    ? t(TEXTS.longest, { wait: duration(longest), target: duration(target) })
    : t(TEXTS.nobody, { target: duration(target) });
  const eta = row.querySelector(".svc-eta");
  if (s && !s.counters_open && waiting) {
    eta.textContent = t(TEXTS.no_counter);  // people wait and nobody serves them: the manager acts
    eta.classList.add("warn");
  } else if (s && !s.counters_open) {
    eta.textContent = t(TEXTS.not_open);
  } else if (s) {
    eta.textContent = (s.eta_s != null && waiting ? t(TEXTS.eta, { eta: duration(s.eta_s) }) + " · " : "") + t(TEXTS.counters_open, { n: s.counters_open });
  }
  row.classList.toggle("late", level === "bad");
  return row;
}

function counterChip(id, c) {
  const chip = document.createElement("div");
  chip.className = "counter-chip" + (c.open ? " open" : "");
  chip.dataset.counter = id;
  chip.innerHTML = `<span class="counter-name"></span><span class="counter-now num"></span>`;
  chip.querySelector(".counter-name").textContent = named(counter(id));
  chip.querySelector(".counter-now").textContent = !c.open ? t(TEXTS.closed) : c.serving || t(TEXTS.idle);
  return chip;
}
