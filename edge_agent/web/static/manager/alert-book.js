// The tablet's VIP alerts: which are waiting for the manager, which are answered (here or
// by a colleague), which arrived late. Kept in localStorage so a reload or a flat battery
// does not lose an alert the broker has already delivered (the broker's persistent session
// covers the time the tablet is away; this covers the page itself).

const KEEP_MS = 12 * 3600 * 1000;  // an alert older than a working day is no longer news

export class AlertBook {
  constructor(branchId, { staleAfterS, escalateAfterS }) {
    this.key = `lobby.manager.alerts.${branchId}`;
    this.staleAfterS = staleAfterS;
    this.escalateAfterS = escalateAfterS;
    this.entries = new Map();  // alert id -> entry
    this._load();
  }

  _load() {
    let saved = [];
    try { saved = JSON.parse(localStorage.getItem(this.key)) || []; } catch { /* a damaged store starts empty */ }
    for (const entry of saved) if (entry && entry.payload && entry.payload.event_id) this.entries.set(entry.payload.event_id, entry);
    this.prune();
  }

  save() { localStorage.setItem(this.key, JSON.stringify([...this.entries.values()])); }

  prune(now = Date.now()) {
    for (const [id, entry] of this.entries) if (now - Date.parse(entry.payload.issued_at) > KEEP_MS) this.entries.delete(id);
  }

  // A new alert from alerts/vip. Returns the entry, or null for a duplicate (QoS 1).
  add(payload, now = Date.now()) {
    if (this.entries.has(payload.event_id)) return null;
    const entry = {
      payload,
      receivedAt: now,
      // Older than staleAfterS on arrival: it waited in the broker while this tablet was away.
      stale: ageSeconds(payload, now) > this.staleAfterS,
      outcome: null, by: null, answeredAt: null, answeredHere: false,
      called: null, reminded: false,
    };
    this.entries.set(payload.event_id, entry);
    this.save();
    return entry;
  }

  // An alert answered: here (our alert_ack's answer) or by a colleague (alerts/answered).
  answered(alertId, { outcome, by, here }) {
    const entry = this.entries.get(alertId);
    if (!entry || entry.outcome) return entry || null;
    Object.assign(entry, { outcome, by, answeredAt: Date.now(), answeredHere: here });
    this.save();
    return entry;
  }

  // events/called for an alert's ticket: the customer is on the way to a counter.
  called(event) {
    for (const entry of this.entries.values()) {
      if (entry.payload.ticket_id === event.ticket_id) {
        entry.called = { counter: event.counter, at: event.at };
        this.save();
        return entry;
      }
    }
    return null;
  }

  // Waiting for the manager, oldest first: the one waiting longest is the most urgent.
  open() {
    return [...this.entries.values()].filter((e) => !e.outcome)
      .sort((a, b) => Date.parse(a.payload.issued_at) - Date.parse(b.payload.issued_at));
  }

  handled() {
    return [...this.entries.values()].filter((e) => e.outcome).sort((a, b) => b.answeredAt - a.answeredAt);
  }

  escalated(entry, now = Date.now()) { return !entry.outcome && ageSeconds(entry.payload, now) > this.escalateAfterS; }
}

export function ageSeconds(payload, now = Date.now()) {
  return Math.max(0, (now - Date.parse(payload.issued_at)) / 1000);
}
