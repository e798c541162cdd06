// Chinese and English for every page: one language at a time, switched by the toggle and
// remembered per device. Texts are [zh, en] pairs kept beside the page that shows them.

const listeners = [];
let current = localStorage.getItem("lobby.lang") === "en" ? "en" : "zh";

export function lang() { return current; }

export function setLang(next) {
  current = next === "en" ? "en" : "zh";
  localStorage.setItem("lobby.lang", current);
  document.documentElement.lang = current === "zh" ? "zh-CN" : "en";
  for (const listener of listeners) listener(current);
}

export function onLang(listener) { listeners.push(listener); }

// t(["请 {ticket} 号", "Ticket {ticket}"], {ticket: "A013"})
export function t(pair, values = {}) {
  const text = pair[current === "zh" ? 0 : 1];
  return text.replace(/\{(\w+)\}/g, (_, key) => String(values[key] ?? ""));
}

// Something the branch names in both languages (a service, a counter, a tier).
export function named(item) { return current === "zh" ? item.name_zh : item.name_en; }

// Fill the [data-t] elements whose key is in `dictionary` (a page holds several modules'
// dictionaries, e.g. the page's and the sign-in form's; each fills its own).
export function applyTexts(dictionary, root = document) {
  for (const el of root.querySelectorAll("[data-t]")) if (dictionary[el.dataset.t]) el.textContent = t(dictionary[el.dataset.t]);
  for (const el of root.querySelectorAll("[data-t-placeholder]")) if (dictionary[el.dataset.tPlaceholder]) el.placeholder = t(dictionary[el.dataset.tPlaceholder]);
}

// A length of time as people say it: "45 秒", "12 分钟", "1 小时 5 分".
export function duration(seconds) {
  const s = Math.max(0, Math.round(seconds || 0));
  if (s < 60) return t(["{n} 秒", "{n} s"], { n: s });
  if (s < 3600) return t(["{n} 分钟", "{n} min"], { n: Math.floor(s / 60) });
  return t(["{h} 小时 {m} 分", "{h} h {m} min"], { h: Math.floor(s / 3600), m: Math.floor((s % 3600) / 60) });
}

export function clockTime(date = new Date()) {
  return date.toLocaleTimeString(current === "zh" ? "zh-CN" : "en-GB", { hour: "2-digit", minute: "2-digit", hour12: false });
}

export function longDate(date = new Date()) {
  return date.toLocaleDateString(current === "zh" ? "zh-CN" : "en-GB", { weekday: "long", month: "long", day: "numeric" });
}

// The language toggle in a page's header: two segments, the current one pressed.
export function languageToggle(container) {
  container.classList.add("lang-toggle");
  container.innerHTML = '<button type="button" data-lang="zh" lang="zh-CN">中文</button><button type="button" data-lang="en" lang="en">EN</button>';
  const show = () => {
    for (const button of container.querySelectorAll("button")) button.setAttribute("aria-pressed", String(button.dataset.lang === current));
  };
  container.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-lang]");
    if (button) setLang(button.dataset.lang);
  });
  onLang(show);
  show();
}
