// Shared by the three pages: configuration, the MQTT connection, requests, languages.
// Each page is an MQTT client of the edge agent (docs/mqtt.md) over WebSockets.
"use strict";

const Lobby = (() => {
  let config = null;
  let lang = localStorage.getItem("lobby.lang") || "zh";
  const listeners = [];

  async function loadConfig() {
    const response = await fetch("/config.json", { cache: "no-store" });
    config = await response.json();
    return config;
  }

  function t(pair, values = {}) {
    const text = pair[lang === "zh" ? 0 : 1];
    return text.replace(/\{(\w+)\}/g, (_, k) => (values[k] ?? ""));
  }

  function setLang(next) {
    lang = next;
    localStorage.setItem("lobby.lang", lang);
    document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
    listeners.forEach((fn) => fn(lang));
  }

  function onLang(fn) { listeners.push(fn); }

  function name(item) { return lang === "zh" ? item.name_zh : item.name_en; }

  function service(id) { return config.services.find((s) => s.id === id) || { id, name_zh: id, name_en: id }; }

  function counterName(id) {
    const c = config.counters.find((x) => x.id === id);
    return c ? name(c) : id;
  }

  // connect({username, password, clientId, persistent, onState}) -> mqtt client.
  // onState receives "connecting" | "connected" | "reconnecting" | "refused" | "offline".
  function connect({ username, password, clientId, persistent = false, onState = () => {} }) {
    const scheme = config.tls ? "wss" : "ws";
    const url = `${scheme}://${location.hostname}:${config.ws_port}`;
    onState("connecting");
    const client = mqtt.connect(url, {
      protocolVersion: 5,
      username, password,
      clientId: clientId || `lobby-web-${Math.random().toString(16).slice(2, 10)}`,
      clean: !persistent,
      properties: persistent ? { sessionExpiryInterval: 7 * 24 * 3600 } : {},
      reconnectPeriod: 2000,
      connectTimeout: 5000,
    });
    client.on("connect", () => onState("connected"));
    client.on("reconnect", () => onState("reconnecting"));
    client.on("offline", () => onState("offline"));
    client.on("error", (err) => {
      // 0x86 bad user name or password, 0x87 not authorised (MQTT 5); 4/5 under 3.1.1.
      if ([4, 5, 134, 135].includes(err.code)) { onState("refused"); client.end(true); }
    });
    return client;
  }

  function topic(relative) { return config.root + relative; }

  function json(message) {
    try { return JSON.parse(new TextDecoder().decode(message)); } catch { return null; }
  }

  // request(client, op, fields) -> Promise of the agent's answer ({status, data|error, code}).
  function request(client, op, fields, timeoutMs = 4000) {
    const transaction = crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random();
    return new Promise((resolve, reject) => {
      const responseTopic = topic(`response/${op}`);
      const onMessage = (t, payload) => {
        if (t !== responseTopic) return;
        const answer = json(payload);
        if (answer && answer.transaction === transaction) { cleanup(); resolve(answer); }
      };
      const cleanup = () => { clearTimeout(timer); client.removeListener("message", onMessage); };
      const timer = setTimeout(() => { cleanup(); reject(new Error("timeout")); }, timeoutMs);
      client.on("message", onMessage);
      client.subscribe(responseTopic, { qos: 1 }, () => {
        client.publish(topic(`request/${op}`), JSON.stringify({ transaction, ...fields }), { qos: 1 });
      });
    });
  }

  function clock(el) {
    const tick = () => {
      const now = new Date();
      el.textContent = now.toLocaleTimeString(lang === "zh" ? "zh-CN" : "en-GB", { hour: "2-digit", minute: "2-digit" });
    };
    tick();
    setInterval(tick, 1000);
  }

  function minutes(seconds) { return Math.max(0, Math.round((seconds || 0) / 60)); }

  // A short chime with Web Audio: no file to load, works offline.
  function chime(times = 2) {
    try {
      const ctx = new (window.AudioContext || window.webkitAudioContext)();
      for (let i = 0; i < times; i++) {
        const osc = ctx.createOscillator(), gain = ctx.createGain();
        osc.frequency.value = i % 2 ? 660 : 880;
        gain.gain.setValueAtTime(0.2, ctx.currentTime + i * 0.35);
        gain.gain.exponentialRampToValueAtTime(0.001, ctx.currentTime + i * 0.35 + 0.3);
        osc.connect(gain).connect(ctx.destination);
        osc.start(ctx.currentTime + i * 0.35);
        osc.stop(ctx.currentTime + i * 0.35 + 0.32);
      }
    } catch { /* no audio device: the visual alert still shows */ }
  }

  const STATE_WORDS = {
    connecting: ["正在连接…", "Connecting…"],
    connected: ["已连接", "Connected"],
    reconnecting: ["连接中断，正在重连…", "Connection lost, reconnecting…"],
    offline: ["未连接", "Offline"],
    refused: ["用户名或密码错误", "Wrong user name or password"],
  };

  function showConnection(el, state) {
    el.dataset.state = state;
    el.textContent = t(STATE_WORDS[state] || [state, state]);
  }
  // The indicator follows a language switch too.
  onLang(() => document.querySelectorAll(".conn[data-state]").forEach((el) => showConnection(el, el.dataset.state)));

  return { loadConfig, t, setLang, onLang, get lang() { return lang; }, get config() { return config; }, name, service,
           counterName, connect, topic, json, request, clock, minutes, chime, showConnection };
})();
