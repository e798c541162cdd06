// The branch's health as banners: the agent offline (nobody can take a ticket) and devices
// that need someone (printer out of paper, a counter display unplugged), from the retained
// agent/state and devices/+/state topics.
import { lang, onLang, t } from "./i18n.js";
import { AgentLiveness } from "./liveness.js";

const DEVICE_NAMES = { printer: ["取号机打印机", "The ticket printer"], counter_display: ["窗口显示屏", "A counter display"] };
const STATUS_WORDS = {
  paper_near_end: ["{device}（{id}）纸卷即将用完，请准备新纸卷", "{device} ({id}) is nearly out of paper: have a new roll ready"],
  paper_out: ["{device}（{id}）缺纸：请更换纸卷，客户暂时只能在屏幕上看到号码", "{device} ({id}) is out of paper: load a new roll"],
  cover_open: ["{device}（{id}）机盖未合上：请合上机盖", "{device} ({id}) has its cover open: close it"],
  offline: ["{device}（{id}）离线：请检查电源和连接线", "{device} ({id}) is offline: check its power and cable"],
  error: ["{device}（{id}）故障：请联系技术人员", "{device} ({id}) has failed: call the technician"],
};

// agent/state's `store`: the agent runs but cannot record anything (docs/mqtt.md).
const STORE_WORDS = {
  disk_full: ["叫号系统磁盘已满：暂时无法取号和叫号。请立即联系技术人员清理空间，恢复后自动继续。",
    "The queue system's disk is full: tickets can be neither issued nor called. Call the technician to free space; it carries on by itself."],
  read_only: ["叫号系统磁盘变为只读：暂时无法取号和叫号。请立即联系技术人员。",
    "The queue system's disk has become read-only: tickets can be neither issued nor called. Call the technician now."],
};

export class BranchHealth {
  // devices: false = only the agent's state (the teller's console).
  // onAgent(online): the agent came or went, from a message or a heartbeat gone stale.
  constructor(container, { devices = true, onAgent = () => {} } = {}) {
    this.container = container;
    this.showDevices = devices;
    this.liveness = new AgentLiveness((online) => { this.render(); onAgent(online); });
    this.devices = new Map();
    onLang(() => this.render());
  }

  // Returns true when the message was about health (so pages can ignore it further).
  handle(topic, data) {
    if (topic === "agent/state") { this.liveness.heard(data); this.render(); return true; }
    const match = /^devices\/([^/]+)\/state$/.exec(topic);
    if (match) { this.devices.set(match[1], data); this.render(); return true; }
    return false;
  }

  agentOnline() { return this.liveness.online(); }

  problems() {
    if (!this.showDevices) return [];
    return [...this.devices.entries()].filter(([, d]) => d.status && d.status !== "ok");
  }

  render() {
    const banners = [];
    if (!this.agentOnline()) {
      banners.push(["bad", t(["叫号系统离线：客户暂时无法取号，柜员无法叫号。请联系技术人员。",
        "The queue system is offline: customers cannot take tickets and counters cannot call. Call the technician."])]);
    } else if (this.liveness.state && this.liveness.state.store && this.liveness.state.store !== "ok") {
      banners.push(["bad", t(STORE_WORDS[this.liveness.state.store] || STORE_WORDS.disk_full)]);
    }
    for (const [id, device] of this.problems()) {
      const words = STATUS_WORDS[device.status] || STATUS_WORDS.error;
      const name = DEVICE_NAMES[device.kind] || ["设备", "A device"];
      // In English the agent's own sentence is the most precise; Chinese comes from the status.
      const text = lang() === "en" && device.detail ? `${device.detail} (${id})` : t(words, { device: t(name), id });
      banners.push([device.status === "paper_near_end" ? "warn" : "bad", text]);
    }
    this.container.replaceChildren(...banners.map(([kind, text]) => {
      const div = document.createElement("div");
      div.className = `banner banner-${kind}`;
      div.setAttribute("role", "alert");
      div.textContent = text;
      return div;
    }));
  }
}
