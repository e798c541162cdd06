// The connection indicator and the words for a connection that ended: what the link is
// really doing, in the page's language, with how long it has been down.
import { duration, onLang, t } from "./i18n.js";

const CHIP = {
  connecting: ["正在连接…", "Connecting…"],
  connected: ["已连接", "Connected"],
  reconnecting: ["连接中断 · 重连中 {for}", "Connection lost · retrying {for}"],
  refused: ["登录被拒绝", "Sign-in refused"],
  not_allowed: ["账号无权限", "Account not allowed"],
  taken_over: ["已在其他窗口打开", "Open in another window"],
  closed: ["未连接", "Not connected"],
};

const ENDED = {
  refused: ["登录被拒绝：用户名或密码错误。请核对后重试，或向技术人员索取本岗位的账号。",
            "Sign-in refused: the user name or password is wrong. Check them, or ask the technician for this role's account."],
  not_allowed: ["此账号不能使用本页面：请用{role}账号登录。", "This account cannot use this page: sign in with the {role} account."],
  taken_over: ["本设备的另一个窗口打开了同一页面，这个窗口已断开。", "This page was opened in another window on this device; this window has been disconnected."],
};

export const ROLE_NAMES = {
  manager: ["大堂经理", "lobby manager"],
  teller: ["柜员", "teller"],
  display: ["叫号屏", "hall display"],
  rm: ["客户经理", "relationship manager"],
  rater: ["服务评价屏", "rating screen"],
};

export function endedWords(state, role) {
  const words = ENDED[state];
  return words ? t(words, { role: t(ROLE_NAMES[role]) }) : "";
}

// Keeps `el` in step with a Bus; call show(state, bus) from the Bus's onState.
export function connectionChip(el) {
  let last = { state: "closed", since: Date.now() };
  const render = () => {
    el.dataset.state = last.state;
    const seconds = (Date.now() - last.since) / 1000;
    el.textContent = t(CHIP[last.state] || [last.state, last.state], { for: duration(seconds) });
    el.title = el.textContent;
  };
  setInterval(() => { if (last.state === "reconnecting") render(); }, 1000);
  onLang(render);
  render();
  // The Bus keeps `since` across retries: "lost for 40 s" counts from when the link was lost.
  return (state, bus) => {
    last = { state, since: bus ? bus.since : Date.now() };
    render();
  };
}
