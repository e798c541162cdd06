// The latest calls on the manager's tablet, each with the rule that picked it, so the lobby
// manager can answer "why was he called before me" (edge_agent/queue/policy.py's rules).
import { clockTime, t } from "../shared/i18n.js";

const KEEP = 8;
export const RULES = {
  appointment: ["预约到时，优先叫号", "Booked slot: called at its time"],
  priority: ["贵宾优先", "Priority customer (VIP)"],
  cap: ["等候过久，优先叫号", "Waited too long: called first"],
  first_come: ["按到店顺序", "First come, first called"],
};

export class CallList {
  constructor(container) {
    this.container = container;
    this.calls = [];
  }

  // events/called; recalls repeat a call and are left out.
  add(event) {
    if (event.recall) return;
    this.calls = [event, ...this.calls.filter((c) => c.event_id !== event.event_id)].slice(0, KEEP);
    this.render();
  }

  render() {
    this.container.classList.toggle("hidden", !this.calls.length);
    const ol = this.container.querySelector("ol");
    ol.replaceChildren(...this.calls.map((c) => {
      const li = document.createElement("li");
      li.className = `call rule-${c.rule || "unknown"}`;
      li.innerHTML = '<b class="num"></b><span class="where"></span><span class="why"></span>';
      li.children[0].textContent = c.ticket;
      li.children[1].textContent = `→ ${c.counter} · ${clockTime(new Date(c.at))}`;
      li.children[2].textContent = RULES[c.rule] ? t(RULES[c.rule]) : "";
      return li;
    }));
  }
}
