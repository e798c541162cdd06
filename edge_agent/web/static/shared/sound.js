// Chimes made with Web Audio (no file to load, works offline) and the tablet's vibration.
// Browsers keep audio muted until the person has touched the page once; the sign-in tap
// does that on the tablet and the console. A hall display's browser is started with
// --autoplay-policy=no-user-gesture-required (README), or tapped once at set-up.

let context = null;

function audio() {
  if (!context) {
    const AudioContext = window.AudioContext || window.webkitAudioContext;
    if (!AudioContext) return null;
    context = new AudioContext();
  }
  return context;
}

// Call from a click or key handler: lets later chimes play without a gesture.
export function unlockAudio() {
  const ctx = audio();
  if (ctx && ctx.state === "suspended") ctx.resume();
}

export function audioReady() {
  const ctx = audio();
  return Boolean(ctx) && ctx.state === "running";
}

// notes: frequencies in Hz, one every `gap` seconds.
function play(notes, gap = 0.28, volume = 0.25) {
  const ctx = audio();
  if (!ctx) return;
  if (ctx.state === "suspended") ctx.resume();
  const start = ctx.currentTime + 0.02;
  notes.forEach((frequency, i) => {
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.type = "sine";
    osc.frequency.value = frequency;
    const at = start + i * gap;
    gain.gain.setValueAtTime(0.0001, at);
    gain.gain.exponentialRampToValueAtTime(volume, at + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, at + gap * 1.6);
    osc.connect(gain).connect(ctx.destination);
    osc.start(at);
    osc.stop(at + gap * 1.7);
  });
}

// The hall's "ding-dong" before the agent's voice announcement.
export function callChime(recall = false) { play(recall ? [988, 784, 988, 784] : [988, 784], 0.45, 0.3); }

// A VIP has arrived: three rising notes, and a vibration where the tablet has one.
export function alertChime() {
  play([660, 880, 1175], 0.16);
  if (navigator.vibrate) navigator.vibrate([180, 90, 180]);
}

// An alert nobody has answered: lower and insistent.
export function reminderChime() {
  play([587, 587], 0.22);
  if (navigator.vibrate) navigator.vibrate([400]);
}
