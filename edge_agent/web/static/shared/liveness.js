// Is the agent there? Its retained agent/state says online or offline, and while online it
// is published again every heartbeat_s seconds (docs/mqtt.md). One not heard for three
// heartbeats is stale: a broker restarted after the agent died restores the retained
// "online", and no last will follows, so only the silence tells. The count starts when a
// state is heard, not from its heartbeat_at: a tablet's clock may be minutes off the box's.
export const STALE_AFTER_HEARTBEATS = 3;

export class AgentLiveness {
  // onChange(online) is called whenever the answer changes, from a message or the clock.
  constructor(onChange = () => {}, { now = () => Date.now(), tickMs = 1000 } = {}) {
    this.onChange = onChange;
    this.now = now;
    this.state = null;
    this.heardAt = 0;
    this.last = this.online();
    this.timer = tickMs ? setInterval(() => this.check(), tickMs) : null;
  }

  heard(state) {
    this.state = state;
    this.heardAt = this.now();
    this.check();
  }

  // Nothing heard yet counts as online: the page says so only once it knows otherwise.
  online() {
    if (!this.state) return true;
    if (this.state.state !== "online") return false;
    if (!this.state.heartbeat_s) return true;
    return this.now() - this.heardAt <= STALE_AFTER_HEARTBEATS * this.state.heartbeat_s * 1000;
  }

  check() {
    const online = this.online();
    if (online !== this.last) {
      this.last = online;
      this.onChange(online);
    }
  }
}
