// Every event carries the branch's running number, `seq` (docs/mqtt.md). A page that reads
// all of events/# and alerts/# sees every number, so it can tell when it missed something:
// a number skipped, or any time away (the broker's queue for an offline tablet does not
// survive a broker crash). It then asks the agent for what came after the last one it has
// (`replay`), page by page. The last number is kept per device, across reloads.
export class EventLedger {
  constructor(key) {
    this.key = key;
    this.last = Number(localStorage.getItem(key)) || 0;
    this.repairing = false;
  }

  // Note an event's number; true when numbers were skipped before it.
  seen(seq) {
    if (!Number.isInteger(seq) || seq <= 0) return false;
    const skipped = this.last > 0 && seq > this.last + 1;
    if (seq > this.last) {
      this.last = seq;
      localStorage.setItem(this.key, String(seq));
    }
    return skipped;
  }

  // Ask for everything after `after` and hand each event to deliver(topic, payload), which
  // drops what it already has (by event_id). One repair at a time; true when complete.
  async repair(bus, after, deliver) {
    if (after <= 0) return true;  // a new tablet: nothing it could have missed
    if (this.repairing) return true;  // one is under way and will fetch this too
    this.repairing = true;
    try {
      for (let page = 0; page < 100; page++) {
        const answer = await bus.request("replay", { after_seq: after });
        if (answer.status !== "ok") return false;
        for (const event of answer.data.events) {
          this.seen(event.payload.seq);
          deliver(event.topic, event.payload);
        }
        if (!answer.data.more || !answer.data.events.length) return true;
        after = answer.data.events[answer.data.events.length - 1].payload.seq;
      }
      return false;
    } finally {
      this.repairing = false;
    }
  }
}
