// The page's one MQTT connection to the branch broker (docs/mqtt.md), over WebSockets.
// It owns mqtt.js: connection state, subscriptions on every (re)connect, and requests whose
// answers come back on this page's own response/<client id>/<op> (the MQTT 5 response
// topic; the broker lets no other client read it) with an echoed transaction. Pages only
// see topics relative to the branch root and parsed JSON.
import { brokerUrl, current as branch } from "./branch.js";

// What the connection indicator may say; each state is the truth about the link, not a guess.
//   connecting    first attempt              connected   subscribed, events flow
//   reconnecting  lost, mqtt.js retries      refused     wrong user name or password (no retry)
//   not_allowed   the broker refused the page's subscriptions (no retry). Mosquitto 2.0 grants
//                 them and filters delivery instead; EMQX and HiveMQ refuse with 0x87.
//   taken_over    the same tablet session was opened in another window (no retry)
export const FINAL_STATES = new Set(["refused", "not_allowed", "taken_over", "closed"]);

const BAD_LOGIN = new Set([4, 5, 134, 135]);  // MQTT 3.1.1 return codes, MQTT 5 reason codes
const SESSION_TAKEN_OVER = 142;

export function newTransaction() {
  // crypto.randomUUID needs https; the branch LAN may serve the pages over plain http.
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

// mqtt.js writes to its socket without asking whether it is still open: a PINGREQ or a
// PUBACK can follow the broker's close frame when the broker stops. Chrome then logs
// "WebSocket is already in CLOSING or CLOSED state." as a page error. A frame written to a
// closing socket is lost either way, so it is dropped here, and the reconnect that follows
// carries on as it would.
export function guardedWebSocket(url, protocols) {
  const socket = new WebSocket(url, protocols);
  const send = socket.send.bind(socket);
  socket.send = (data) => { if (socket.readyState === WebSocket.OPEN) send(data); };
  return socket;
}

export class Bus {
  // topics: relative topics to subscribe on every connect, e.g. ["alerts/vip", "queue/state"].
  // persistent: the broker keeps the session (and queues QoS 1 messages) while the page is away.
  constructor({ username, password, clientId, persistent = false, sessionExpiryS = 7 * 24 * 3600, topics, onState = () => {}, onMessage = () => {} }) {
    this.username = username;
    this.topics = topics;
    this.onState = onState;
    this.onMessage = onMessage;
    this.pending = new Map();  // transaction -> resolve
    this.seen = new Set();     // event ids already handled (QoS 1 delivers at least once)
    this.state = "connecting";
    this.since = Date.now();
    this.sessionPresent = false;
    // The broker only accepts client ids of this user's own: "<user name>.<anything>".
    this.clientId = `${username}.${clientId || `web-${newTransaction().slice(0, 12)}`}`.slice(0, 64);
    this.answers = `response/${this.clientId}/`;
    this.client = mqtt.connect(brokerUrl(), {
      protocolVersion: 5,
      username, password,
      clientId: this.clientId,
      clean: !persistent,
      properties: persistent ? { sessionExpiryInterval: sessionExpiryS } : {},
      keepalive: 10,           // a dead link shows within ~15 s, not the default 90
      reconnectPeriod: 2000,
      connectTimeout: 5000,
      resubscribe: false,      // we subscribe ourselves on every connect and check the grants
      createWebsocket: guardedWebSocket,
    });
    // Told after the constructor returns, so the page already holds this Bus when it hears.
    queueMicrotask(() => { if (this.state === "connecting") this.onState(this.state, this); });
    this.client.on("connect", (connack) => this._onConnect(connack));
    this.client.on("reconnect", () => this._setState("reconnecting"));
    this.client.on("close", () => { if (this.state === "connected") this._setState("reconnecting"); });
    this.client.on("offline", () => { if (this.state === "connected") this._setState("reconnecting"); });
    this.client.on("error", (err) => {
      if (BAD_LOGIN.has(err.code)) this._finish("refused");
    });
    this.client.on("disconnect", (packet) => {
      if (packet.reasonCode === SESSION_TAKEN_OVER) this._finish("taken_over");
    });
    this.client.on("message", (topic, payload, packet) => this._onMessage(topic, payload, packet));
  }

  topic(relative) { return branch().root + relative; }

  _setState(state) {
    if (this.state !== state) this.since = Date.now();
    this.state = state;
    this.onState(state, this);
  }

  _finish(state) {
    this._setState(state);
    this.client.end(true);
  }

  _onConnect(connack) {
    this.sessionPresent = Boolean(connack.sessionPresent);
    const wanted = [...this.topics, `${this.answers}+`].map((t) => this.topic(t));
    this.client.subscribe(wanted, { qos: 1 }, (err) => {
      if (err && (err.code & 0x80)) this._finish("not_allowed");
      else if (!err) this._setState("connected");
    });
  }

  _onMessage(topic, payload, packet) {
    const relative = topic.startsWith(branch().root) ? topic.slice(branch().root.length) : topic;
    let data;
    try { data = JSON.parse(new TextDecoder().decode(payload)); } catch { return; }  // not ours to show
    if (relative.startsWith(this.answers)) {
      // An answer to this page's own request goes to its waiting caller, and nowhere else.
      const resolve = data && this.pending.get(data.transaction);
      if (resolve) { this.pending.delete(data.transaction); resolve(data); }
      return;
    }
    this.onMessage(relative, data, { retain: packet.retain });
  }

  // True the first time an event id is seen: pages drop duplicates by event_id.
  firstTime(eventId) {
    if (!eventId) return true;
    if (this.seen.has(eventId)) return false;
    this.seen.add(eventId);
    if (this.seen.size > 2000) this.seen.delete(this.seen.values().next().value);
    return true;
  }

  // Send request/<op> and wait for its answer. Always resolves, with the agent's answer
  // ({status, data} or {status: "error", code, error}) or a local one (code not_connected,
  // not_allowed, not_sent or timeout) that errors.js puts into words.
  request(op, fields, timeoutMs = 6000) {
    if (this.state !== "connected") return Promise.resolve({ status: "error", code: "not_connected", local: true });
    const transaction = newTransaction();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(transaction);
        resolve({ status: "error", code: "timeout", local: true });
      }, timeoutMs);
      this.pending.set(transaction, (answer) => { clearTimeout(timer); resolve(answer); });
      const body = JSON.stringify({ transaction, ...fields });
      // The broker keeps requests for a restarting agent; this one only while we wait for it,
      // so a teller's "call next" that timed out is never acted on minutes later.
      const properties = { responseTopic: this.topic(`${this.answers}${op}`), messageExpiryInterval: Math.ceil(timeoutMs / 1000) };
      this.client.publish(this.topic(`request/${op}`), body, { qos: 1, properties }, (err) => {
        if (err && this.pending.delete(transaction)) {
          clearTimeout(timer);
          resolve({ status: "error", code: err.code === 135 ? "not_allowed" : "not_sent", local: true });
        }
      });
    });
  }

  close() { this._finish("closed"); }
}
