// The ticket's live page: asks head office for this one ticket's status every second and says
// it in the phone's language; when the ticket is called, the browser's own notification and a
// vibration, where the phone allows them.
const words = JSON.parse(document.getElementById("words").textContent);
const statusUrl = location.pathname.replace(/\/$/, "") + "/status";
const $ = (id) => document.getElementById(id);
const fill = (text, values) => text.replace(/\{(\w+)\}/g, (_, key) => values[key] ?? "");
let lastState = null;
let nextCall = false;  // this ticket is the next to be called: listen twice as often
const POLL_MS = 1000;

function headline(s) {
  if (s.state === "called") return fill(words.called, { counter: s.counter ?? "" });
  if (s.state === "served") return words.served;
  if (s.state === "no_show") return words.no_show;
  if (s.state === "expired") return words.expired;
  if (s.ahead === 0) return words.you_are_next;
  if (s.ahead !== null) return fill(words.ahead, { n: s.ahead });
  return "";
}

function detail(s) {
  if (s.state !== "waiting") return "";
  if (s.eta_min === null || s.eta_range_min === null) return words.wait_unknown;
  return fill(words.wait, { m: s.eta_min, lo: s.eta_range_min[0], hi: s.eta_range_min[1] });
}

function tellCalled(s) {
  const text = fill(words.called, { counter: s.counter ?? "" });
  if (navigator.vibrate) navigator.vibrate([400, 150, 400, 150, 400]);
  if ("Notification" in window && Notification.permission === "granted") {
    try {
      new Notification(`${s.label} · ${text}`, { tag: "lobby-ticket", renotify: true, requireInteraction: true });
    } catch (problem) {
      // Android Chromium allows notifications only from a service worker; the page itself still changes.
    }
  }
}

function show(s) {
  $("ticket").dataset.state = s.state;
  $("service").textContent = words.lang === "en" && s.service_en ? s.service_en : s.service_zh;
  $("headline").textContent = headline(s);
  $("detail").textContent = detail(s);
  $("unseen").hidden = s.visible;
  $("branch").textContent = s.branch_name;
  if (s.state !== "waiting") $("notify").hidden = true;  // nothing left to be told
  if (s.state === "called" && lastState !== null && lastState !== "called") tellCalled(s);
  lastState = s.state;
  nextCall = s.state === "waiting" && s.ahead === 0;
}

function expired() {
  $("ticket").dataset.state = "expired";
  $("headline").textContent = words.expired;
  $("detail").textContent = "";
  $("notify").hidden = true;
}

async function poll() {
  try {
    const answer = await fetch(statusUrl, { cache: "no-store" });
    if (answer.ok) show(await answer.json());
    else if (answer.status === 410) expired();  // the business day ended while the page was open
    else $("unseen").hidden = false;
  } catch (offline) {
    $("unseen").hidden = false;  // the phone lost its network: say so, keep trying
  }
  if ($("ticket").dataset.state !== "served" && $("ticket").dataset.state !== "expired") setTimeout(poll, nextCall ? POLL_MS / 2 : POLL_MS);
}

if ("Notification" in window && Notification.permission !== "granted") {
  const button = $("notify");
  button.hidden = Notification.permission === "denied";
  button.addEventListener("click", async () => {
    const answer = await Notification.requestPermission();
    button.hidden = true;
    $("notify-said").textContent = answer === "granted" ? words.notify_on : words.notify_refused;
  });
} else if ("Notification" in window) {
  $("notify-said").textContent = words.notify_on;
}
poll();
