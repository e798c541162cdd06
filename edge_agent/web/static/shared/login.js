// The sign-in screen of the manager's tablet, the teller's console and the RM workbench. Each role signs in
// with its broker user from credentials.json (handed out by the technician). The password
// is kept for this tab only (sessionStorage), so a reload reconnects without typing it
// again; closing the tab forgets it. It is never written anywhere else.
import { current as branch } from "./branch.js";
import { applyTexts, onLang, t } from "./i18n.js";
import { ROLE_NAMES } from "./status.js";
import { unlockAudio } from "./sound.js";

const TEXTS = {
  sign_in_title: ["登录", "Sign in"],
  user: ["用户名", "User name"],
  password: ["密码", "Password"],
  sign_in: ["登录", "Sign in"],
  signing_in: ["正在登录…", "Signing in…"],
};

// The device's sign-in to the broker. The person at the device signs in next, with their
// staff id and PIN (staff.js).
export function loginScreen({ role, container, onSubmit }) {
  const key = `lobby.${role}`;
  container.classList.add("login");
  container.innerHTML = `
    <form class="login-card" novalidate>
      <div class="login-head"><span class="mark mark-lg" aria-hidden="true"></span>
        <div><h1 class="login-role"></h1><div class="login-branch"></div></div></div>
      <label for="login-user" data-t="user"></label>
      <input id="login-user" name="username" autocomplete="username" autocapitalize="off" spellcheck="false" required>
      <label for="login-password" data-t="password"></label>
      <input id="login-password" name="password" type="password" autocomplete="current-password" required>
      <p class="login-error" id="login-error" role="alert"></p>
      <button class="btn btn-primary btn-block" type="submit" id="login-submit" data-t="sign_in"></button>
    </form>`;
  const form = container.querySelector("form");
  const error = container.querySelector("#login-error");
  const submit = container.querySelector("#login-submit");
  const user = container.querySelector("#login-user");
  user.value = localStorage.getItem(`${key}.user`) || `${branch().branch.id}-${role}`;

  let reason = () => "";  // why the form is back, kept as a function of the language
  const texts = () => {
    applyTexts(TEXTS, container);
    error.textContent = reason();
    container.querySelector(".login-role").textContent = t(ROLE_NAMES[role]).replace(/^./, (c) => c.toUpperCase());
    container.querySelector(".login-branch").textContent = t([branch().branch.name, branch().branch.name_en]);
  };
  onLang(texts);
  texts();

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    unlockAudio();  // this tap lets later alerts chime
    const login = { username: user.value.trim(), password: container.querySelector("#login-password").value };
    if (!login.username || !login.password) {
      reason = () => t(["请输入用户名和密码", "Enter the user name and the password"]);
      error.textContent = reason();
      return;
    }
    localStorage.setItem(`${key}.user`, login.username);
    reason = () => "";
    error.textContent = "";
    submit.disabled = true;
    submit.textContent = t(TEXTS.signing_in);
    onSubmit(login);
  });

  return {
    // A sign-in kept by this tab, to reconnect after a reload.
    saved() {
      try { return JSON.parse(sessionStorage.getItem(`${key}.login`)); } catch { return null; }
    },
    succeeded(login) {
      sessionStorage.setItem(`${key}.login`, JSON.stringify(login));
      container.classList.add("hidden");
      submit.disabled = false;
      submit.textContent = t(TEXTS.sign_in);
    },
    // Back to the form, saying why: why() gives the words in the current language.
    show(why = () => "") {
      reason = why;
      sessionStorage.removeItem(`${key}.login`);
      container.classList.remove("hidden");
      container.querySelector("#login-password").value = "";
      error.textContent = reason();
      submit.disabled = false;
      submit.textContent = t(TEXTS.sign_in);
    },
  };
}
