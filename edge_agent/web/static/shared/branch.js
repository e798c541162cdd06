// What a page knows about its branch, from the agent's /config.json: the broker's
// websockets port, services, counters and tiers. No credentials ever come from here.

let branch = null;

// Retries until the agent answers: a hall display switched on before the box must still come up.
export async function loadBranch({ onWaiting = () => {} } = {}) {
  for (let attempt = 0; ; attempt++) {
    try {
      const response = await fetch("/config.json", { cache: "no-store" });
      if (response.ok) {
        branch = await response.json();
        return branch;
      }
    } catch { /* the box is not reachable yet */ }
    onWaiting(attempt);
    await new Promise((resolve) => setTimeout(resolve, Math.min(10000, 1000 * 2 ** attempt)));
  }
}

export function current() { return branch; }

export function service(id) {
  return branch.services.find((s) => s.id === id) || { id, name_zh: id, name_en: id, target_wait_s: null };
}

export function counter(id) {
  return branch.counters.find((c) => c.id === id) || { id, name_zh: `${id}号窗口`, name_en: `Counter ${id}`, services: [] };
}

export function tier(id) {
  return branch.tiers[id] || { name_zh: id, name_en: id, alert: false };
}

export function brokerUrl() {
  return `${branch.tls ? "wss" : "ws"}://${location.hostname}:${branch.ws_port}`;
}

// A date (YYYY-MM-DD) in the branch's own time zone, as the agent counts days: `daysAhead`
// from today. A tablet's clock or zone may differ; the branch's day is what counts.
export function branchDate(daysAhead = 0) {
  const when = new Date(Date.now() + daysAhead * 86400000);
  return new Intl.DateTimeFormat("en-CA", { timeZone: branch.branch.timezone, year: "numeric", month: "2-digit", day: "2-digit" }).format(when);
}
