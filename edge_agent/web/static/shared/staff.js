// A person at a page: staff id + PIN, checked by the agent (request/staff_sign_in), on top
// of the device's own broker sign-in (login.js). The session it returns signs every action
// and lives in this tab only (sessionStorage): closing the tab forgets it. The agent signs
// idle people out; staff/state tells the page, which then asks for the PIN again.
//
// A branch that has imported no staff roster yet (staff/state "roster": false) works as
// before: nobody is asked for a PIN, and actions go unsigned.
import { explain } from "./errors.js";
import { applyTexts, named, onLang, t } from "./i18n.js";
import { current as branch } from "./branch.js";

const TEXTS = {
  staff_title: ["员工登录", "Staff sign-in"],
  staff_id: ["工号", "Staff id"],
  pin: ["密码（PIN）", "PIN"],
  counter: ["窗口", "Counter"],
  staff_sign_in: ["登录", "Sign in"],
  signing_in: ["正在登录…", "Signing in…"],
  disconnect: ["断开此设备", "Disconnect this device"],
};
const SIGNED_OUT = new Set(["signed_out", "sign_in_required"]);

export class StaffSignIn {
  // page: "teller" | "manager" | "rm"; container: where the form goes; onChange(person|null)
  // after every sign-in and sign-out; counter(): the teller console's counter.
  constructor({ page, container, onChange, counter = null, onDisconnect = () => {} }) {
    this.page = page;
    this.container = container;
    this.onChange = onChange;
    this.counter = counter;
    this.key = `lobby.${page}.staff`;
    this.roster = null;  // unknown until staff/state arrives
    this.bus = null;
    this.reason = () => "";
    container.classList.add("login", "hidden");
    container.innerHTML = `
      <form class="login-card staff-card" novalidate>
        <div class="login-head"><span class="mark mark-lg" aria-hidden="true"></span>
          <div><h1 data-t="staff_title"></h1><div class="login-branch"></div></div></div>
        <label for="staff-id" data-t="staff_id"></label>
        <input id="staff-id" name="staff_id" autocomplete="username" autocapitalize="characters" spellcheck="false" required>
        <label for="staff-pin" data-t="pin"></label>
        <input id="staff-pin" name="pin" type="password" inputmode="numeric" autocomplete="off" maxlength="8" required>
        ${counter ? '<label for="staff-counter" data-t="counter"></label><select id="staff-counter"></select>' : ""}
        <p class="login-error" id="staff-error" role="alert"></p>
        <button class="btn btn-primary btn-block" type="submit" id="staff-submit" data-t="staff_sign_in"></button>
        <button class="btn btn-ghost btn-block" type="button" id="staff-disconnect" data-t="disconnect"></button>
      </form>`;
    this.form = container.querySelector("form");
    this.error = container.querySelector("#staff-error");
    this.submit = container.querySelector("#staff-submit");
    this.form.addEventListener("submit", (event) => { event.preventDefault(); this._signIn(); });
    container.querySelector("#staff-disconnect").addEventListener("click", () => onDisconnect());
    onLang(() => this._texts());
    this._texts();
  }

  _texts() {
    applyTexts(TEXTS, this.container);
    this.container.querySelector(".login-branch").textContent = t([branch().branch.name, branch().branch.name_en]);
    const select = this.container.querySelector("#staff-counter");
    if (select) {
      const keep = select.value || this.counter();
      select.replaceChildren(...branch().counters.map((c) => new Option(named(c), c.id)));
      select.value = keep;
    }
    this.error.textContent = this.reason();
  }

  // The person signed in in this tab, or null.
  person() {
    try { return JSON.parse(sessionStorage.getItem(this.key)); } catch { return null; }
  }

  // Whether actions need a person: unknown (null) until staff/state has been heard.
  required() { return this.page === "rm" ? true : this.roster; }

  // The page's connection is up: requests go over it, and the page shows the person (or the form).
  attach(bus) { this.bus = bus; this._settle(); }

  // staff/state: is the roster there, and is this tab's person still signed in?
  onStaffState(state) {
    this.roster = Boolean(state.roster);
    this.lastState = state;
    const person = this.person();
    if (person && !state.signed_in.some((s) => s.ref === person.ref)) {
      this._forget(() => t(["您已退出登录（长时间未操作，或在别处登录），请重新登录", "You were signed out (idle, or signed in elsewhere): sign in again"]));
    } else {
      this._settle();
    }
  }

  // Show the form when a person is needed and missing; hide it otherwise. The app bar's
  // #person chip (name and staff number) shows who is signed in, on every page that has one.
  _settle() {
    const needed = this.required() && !this.person();
    const person = this.person();
    const chip = document.getElementById("person");
    if (chip) {
      chip.classList.toggle("hidden", !person);
      if (person) { chip.querySelector("#person-name").textContent = person.name; chip.querySelector("#person-id").textContent = person.staff_id; }
    }
    this.container.classList.toggle("hidden", !needed);
    if (needed) this.container.querySelector("#staff-id").focus();
    this.onChange(this.person(), needed);
  }

  _forget(why) {
    sessionStorage.removeItem(this.key);
    this.reason = why;
    this.error.textContent = why();
    this._settle();
  }

  async _signIn() {
    const staffId = this.container.querySelector("#staff-id").value.trim();
    const pinInput = this.container.querySelector("#staff-pin");
    const pin = pinInput.value;
    if (!staffId || !/^\d{4,8}$/.test(pin)) {
      this.reason = () => t(["请输入工号和 4–8 位数字密码", "Enter your staff id and your 4–8 digit PIN"]);
      this.error.textContent = this.reason();
      return;
    }
    const fields = { staff_id: staffId, pin, page: this.page };
    const select = this.container.querySelector("#staff-counter");
    if (select) fields.counter = select.value;
    this.submit.disabled = true;
    this.submit.textContent = t(TEXTS.signing_in);
    const answer = await this.bus.request("staff_sign_in", fields);
    pinInput.value = "";  // never kept, whatever the answer
    this.submit.disabled = false;
    this.submit.textContent = t(TEXTS.staff_sign_in);
    if (answer.status !== "ok") {
      this.reason = () => explain(answer);
      this.error.textContent = this.reason();
      return;
    }
    const { session, ref, staff_id, name, role, counter } = answer.data;
    sessionStorage.setItem(this.key, JSON.stringify({ session, ref, staff_id, name, role, counter }));
    this.reason = () => "";
    this.error.textContent = "";
    this._settle();
  }

  // An action by the person here: the session goes with it; a sign-in that ended brings the form back.
  async request(op, fields = {}) {
    const person = this.person();
    const signed = person ? { ...fields, session: person.session } : fields;
    const answer = await this.bus.request(op, signed);
    if (answer.status === "error" && SIGNED_OUT.has(answer.code)) this._forget(() => explain(answer));
    return answer;
  }

  async signOut() {
    const person = this.person();
    if (person && this.bus) await this.bus.request("staff_sign_out", { session: person.session });
    this._forget(() => "");
  }
}
