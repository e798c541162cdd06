// The relationship manager's workbench (客户经理工作台): today's referrals addressed to this
// RM or to the RM pool, live; accept one ("I'm coming", which the lobby manager's tablet
// shows); record what came of the meeting with the SOP's three cases; print the 优质客户推荐表;
// and the RM's open follow-ups, the one view besides the follow-up list that shows the phone
// numbers customers agreed to give.
import { branchDate, current as branch, loadBranch, tier } from "../shared/branch.js";
import { explain } from "../shared/errors.js";
import { BranchHealth } from "../shared/health.js";
import { applyTexts, clockTime, duration, languageToggle, lang, named, onLang, setLang, t } from "../shared/i18n.js";
import { loginScreen } from "../shared/login.js";
import { triggerNames } from "../shared/refer-dialog.js";
import { alertChime, unlockAudio } from "../shared/sound.js";
import { openSheet } from "../shared/sheet.js";
import { PageLink } from "../shared/page-link.js";
import { StaffSignIn } from "../shared/staff.js";

const TEXTS = {
  title: ["客户经理工作台", "RM workbench"], sign_out: ["退出", "Sign out"],
  today: ["今日转介", "Today's referrals"], follow_ups: ["我的待跟进客户", "My follow-ups"],
  none_today: ["今天还没有转介", "No referrals yet today"],
  none_hint: ["柜员或大堂经理转介客户时，会在一秒内出现在这里。", "When a teller or the lobby manager refers a customer, it appears here within a second."],
  privacy: ["联系电话仅在客户同意时记录，只在本人的跟进列表中显示。", "Phone numbers are kept only with the customer's consent and shown only in your own follow-ups."],
};
const WORDS = {
  open: ["待接受", "Waiting"], accepted: ["已接受", "Accepted"], converted: ["已成交", "Converted"], follow_up: ["待跟进", "Follow-up"], declined: ["已婉拒", "Declined"],
  for_me: ["指定给我", "For you"], pool: ["客户经理组", "RM pool"],
  accept: ["我来接待", "I'm coming"], outcome: ["记录结果", "Record outcome"], form: ["推荐表", "Referral form"],
  from: ["{who} 于 {time} 转介", "Referred by {who} at {time}"], ago: ["{age}前", "{age} ago"],
  booked: ["预约客户 {time} 到店签到", "Booked customer, checked in at {time}"],
  accepted_by: ["{who} 已接受 · {time}", "{who} accepted · {time}"], vip_room: ["贵宾理财室", "VIP wealth room"], rm_desk: ["理财经理", "RM's desk"],
  at: ["地点：{where}", "Where: {where}"], note: ["备注：{note}", "Note: {note}"],
  product: ["成交：{product}", "Converted: {product}"], follow: ["跟进：{date} · {channel}", "Follow up: {date} · {channel}"],
  sending: ["正在提交…", "Sending…"], no_follow: ["暂无待跟进客户", "No open follow-ups"],
  new_referral: ["新的转介：{name}", "New referral: {name}"],
  // outcome dialog
  outcome_title: ["接待结果", "What came of it"], converted_opt: ["当场成交（开户或购买产品）", "Converted on the spot"],
  follow_opt: ["有意向，需跟进", "Interested, follow up"], declined_opt: ["婉拒留下联系方式", "Declined to leave contact"],
  product_label: ["产品或账户", "Product or account"], date_label: ["跟进日期", "Follow-up date"], channel_label: ["跟进方式", "Channel"],
  phone_label: ["联系电话（可选）", "Phone (optional)"], consent_label: ["客户同意银行保存此电话用于跟进", "The customer agrees the bank keeps this number to follow up"],
  criteria_label: ["是否符合转介标准", "Meets the referral criteria"], yes: ["是", "Yes"], no: ["否", "No"],
  note_label: ["备注", "Note"], cancel: ["取消", "Cancel"], save: ["保存", "Save"],
  phone: ["电话", "Phone"], visit: ["到店/上门", "Visit"], wechat: ["微信", "WeChat"], sms: ["短信", "SMS"],
  // the form
  form_title: ["优质客户推荐表", "Premium customer referral form"], f_date: ["转介日期", "Date"], f_referrer: ["推荐人", "Referred by"],
  f_customer: ["客户称呼", "Customer"], f_reason: ["转介理由", "Reasons"], f_to: ["转介至", "Referred to"], f_rm: ["理财经理", "Relationship manager"],
  f_criteria: ["是否符合转介标准", "Meets the criteria"], f_outcome: ["接待结果", "Outcome"], print: ["打印", "Print"], close: ["关闭", "Close"],
  f_sign: ["推荐人签字：", "Referrer's signature:"], f_sign_rm: ["理财经理签字：", "RM's signature:"],
};
const TOPICS = ["agent/state", "staff/state", "events/referral"];
const $ = (id) => document.getElementById(id);
let bus = null, login = null, staff = null;
const referrals = new Map();  // id -> referral (today's)
let followUps = [];

function me() { return (staff && staff.person()) || {}; }
function mine(r) { return r.to_rm === me().staff_id || r.accepted_by === me().staff_id; }
function visible(r) { return !r.to_rm || mine(r); }

function render() {
  const list = [...referrals.values()].filter(visible).sort((a, b) => {
    const rank = (r) => (r.state === "open" ? 0 : r.state === "accepted" ? 1 : 2);
    return rank(a) - rank(b) || (rank(a) === 0 ? a.created_at.localeCompare(b.created_at) : b.created_at.localeCompare(a.created_at));
  });
  $("referrals").replaceChildren(...list.map(card));
  $("no-referrals").classList.toggle("hidden", list.length > 0);
  $("open-count").textContent = list.filter((r) => r.state === "open").length;
  const followList = $("follow-ups");
  followList.dataset.empty = t(WORDS.no_follow);
  const today = branchDate();
  followList.replaceChildren(...followUps.map((r) => {
    const li = document.createElement("li");
    li.innerHTML = '<span class="due num"></span><span class="name"></span><span class="how"></span>';
    li.children[0].textContent = r.follow_up_on;
    li.children[0].classList.toggle("overdue", r.follow_up_on < today);
    li.children[1].textContent = `${r.customer_name || "—"} · ${named(tier(r.tier))}`;
    li.children[2].textContent = [t(WORDS[r.channel] || [r.channel, r.channel]), r.phone, r.outcome_note].filter(Boolean).join(" · ");
    return li;
  }));
  $("follow-count").textContent = followUps.length;
}

function card(r) {
  const el = document.createElement("article");
  el.className = `card referral s-${r.state}` + (r.to_rm === me().staff_id && r.state === "open" ? " mine" : "");
  el.dataset.referralId = r.referral_id;
  el.innerHTML = `<div class="top"><span class="referral-state"></span><span class="tier"></span><span class="who"></span><span class="ticket num"></span><span class="age"></span></div>
    <div class="reasons"></div><div class="line from"></div><div class="line detail"></div>
    <div class="buttons"></div><p class="result" role="status"></p>`;
  const state = el.querySelector(".referral-state");
  state.classList.add(`s-${r.state}`);
  state.textContent = t(WORDS[r.state]) + (r.to_rm === me().staff_id && r.state === "open" ? ` · ${t(WORDS.for_me)}` : "");
  el.querySelector(".tier").classList.add(`tier-${r.tier}`);
  el.querySelector(".tier").textContent = named(tier(r.tier));
  el.querySelector(".who").textContent = r.customer_name || "—";
  el.querySelector(".ticket").textContent = r.ticket || "";
  const age = (Date.now() - new Date(r.created_at)) / 1000;
  const ageEl = el.querySelector(".age");
  ageEl.textContent = t(WORDS.ago, { age: duration(age) });
  ageEl.classList.toggle("late", r.state === "open" && age > branch().referral_accept_target_s);
  el.querySelector(".reasons").replaceChildren(...triggerNames(r.triggers).map((name) => {
    const span = document.createElement("span");
    span.className = "reason";
    span.textContent = name;
    return span;
  }));
  el.querySelector(".from").textContent = [
    r.source === "appointment"
      ? t(WORDS.booked, { time: clockTime(new Date(r.created_at)) })
      : t(WORDS.from, { who: r.referrer_name, time: clockTime(new Date(r.created_at)) }),
    t(WORDS.at, { where: t(r.destination === "vip_room" ? WORDS.vip_room : WORDS.rm_desk) }),
    r.note ? t(WORDS.note, { note: r.note }) : "",
  ].filter(Boolean).join(" · ");
  const detail = [];
  if (r.accepted_by) detail.push(t(WORDS.accepted_by, { who: r.accepted_by_name, time: clockTime(new Date(r.accepted_at)) }));
  if (r.product) detail.push(t(WORDS.product, { product: r.product }));
  if (r.follow_up_on) detail.push(t(WORDS.follow, { date: r.follow_up_on, channel: t(WORDS[r.channel] || ["", ""]) }));
  el.querySelector(".detail").textContent = detail.join(" · ");
  const buttons = el.querySelector(".buttons");
  const button = (label, kind, action) => {
    const b = document.createElement("button");
    b.type = "button";
    b.className = `btn ${kind}`;
    b.textContent = t(label);
    b.addEventListener("click", () => action(el, r));
    buttons.append(b);
  };
  if (r.state === "open") button(WORDS.accept, "btn-primary act-accept", accept);
  if ((r.state === "accepted" || r.state === "follow_up") && r.accepted_by === me().staff_id) button(WORDS.outcome, "btn-navy act-outcome", recordOutcome);
  button(WORDS.form, "act-form", showForm);
  return el;
}

function result(el, text, kind) {
  const p = el.querySelector(".result");
  p.textContent = text;
  p.className = `result result-${kind}`;
}

async function accept(el, r) {
  for (const b of el.querySelectorAll("button")) b.disabled = true;
  result(el, t(WORDS.sending), "ok");
  const answer = await staff.request("referral_accept", { referral_id: r.referral_id });
  if (answer.status === "ok") { merge(answer.data.referral); render(); }
  else { result(el, explain(answer), "error"); for (const b of el.querySelectorAll("button")) b.disabled = false; }
}

function recordOutcome(el, r) {
  const tomorrow = branchDate(1);
  const sheet = openSheet({
    className: "outcome", cancel: t(WORDS.cancel), submit: t(WORDS.save),
    html: `<h2></h2><p class="sub"></p>
    <div class="choices">
      <label class="choice"><input type="radio" name="outcome" value="converted"><span class="l-converted"></span></label>
      <label class="choice"><input type="radio" name="outcome" value="follow_up" checked><span class="l-follow"></span></label>
      <label class="choice"><input type="radio" name="outcome" value="declined"><span class="l-declined"></span></label>
    </div>
    <label class="field when-converted"><span class="l-product"></span><input type="text" name="product" maxlength="40"></label>
    <div class="row2 when-follow">
      <label class="field"><span class="l-date"></span><input type="date" name="follow_up_on" min="${branchDate()}" value="${tomorrow}"></label>
      <label class="field"><span class="l-channel"></span><select name="channel"></select></label>
    </div>
    <label class="field when-follow"><span class="l-phone"></span><input type="tel" name="phone" maxlength="16" autocomplete="off"></label>
    <label class="check when-follow"><input type="checkbox" name="consent"><span class="l-consent"></span></label>
    <div class="row2">
      <label class="field"><span class="l-criteria"></span><select name="meets_criteria"></select></label>
      <label class="field"><span class="l-note"></span><input type="text" name="note" maxlength="200"></label>
    </div>`,
  });
  const { dialog, form } = sheet;
  const q = (sel) => dialog.querySelector(sel);
  q("h2").textContent = t(WORDS.outcome_title);
  q(".sub").textContent = `${r.customer_name || "—"} · ${r.ticket || ""}`;
  for (const [cls, key] of [["converted", "converted_opt"], ["follow", "follow_opt"], ["declined", "declined_opt"], ["product", "product_label"],
    ["date", "date_label"], ["channel", "channel_label"], ["phone", "phone_label"], ["consent", "consent_label"], ["criteria", "criteria_label"], ["note", "note_label"]]) {
    q(`.l-${cls}`).textContent = t(WORDS[key]);
  }
  form.channel.replaceChildren(...["phone", "visit", "wechat", "sms"].map((c) => new Option(t(WORDS[c]), c)));
  form.meets_criteria.replaceChildren(new Option(t(WORDS.yes), "yes"), new Option(t(WORDS.no), "no"));
  if (r.state === "follow_up") { form.outcome.value = "converted"; q("input[value=follow_up]").closest("label").classList.add("hidden"); }
  const showFields = () => {
    const chosen = form.outcome.value;
    for (const x of dialog.querySelectorAll(".when-converted")) x.classList.toggle("hidden", chosen !== "converted");
    for (const x of dialog.querySelectorAll(".when-follow")) x.classList.toggle("hidden", chosen !== "follow_up");
  };
  form.addEventListener("change", showFields);
  showFields();
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const outcome = form.outcome.value;
    const fields = { referral_id: r.referral_id, outcome, note: form.note.value.trim(), meets_criteria: form.meets_criteria.value === "yes" };
    if (outcome === "converted") fields.product = form.product.value.trim();
    if (outcome === "follow_up") {
      fields.follow_up_on = form.follow_up_on.value;
      fields.channel = form.channel.value;
      const phone = form.phone.value.replace(/[\s-]/g, "");
      if (phone) { fields.phone = phone; fields.consent = form.consent.checked; }
    }
    const submit = q("button[type=submit]");
    submit.disabled = true;
    const answer = await staff.request("referral_outcome", fields);
    submit.disabled = false;
    if (answer.status === "ok") { sheet.close(); await refresh(); }
    else sheet.error.textContent = explain(answer);
  });
}

// 优质客户推荐表, as the manuals lay it out, ready for paper.
let formShown = null;  // the referral whose form is open, redrawn when the language changes
function showForm(_el, r) {
  formShown = r;
  const view = $("form-view");
  const reasons = triggerNames(r.triggers).concat(r.note ? [r.note] : []).join("；");
  const tick = (on, label) => `<span class="tick">${on ? "☑" : "☐"} ${label}</span>`;
  view.innerHTML = `<div class="paper"><h1></h1><p class="branch-line"></p><table><tbody></tbody></table>
    <div class="sign"><span class="s1"></span><span class="s2"></span></div>
    <div class="form-buttons"><button type="button" class="btn btn-navy" id="form-print"></button><button type="button" class="btn" id="form-close"></button></div></div>`;
  view.querySelector("h1").textContent = t(WORDS.form_title);
  view.querySelector(".branch-line").textContent = `${t([branch().branch.name, branch().branch.name_en])} · ${r.ticket || ""}`;
  const rows = [
    [WORDS.f_date, r.created_at.slice(0, 10)],
    [WORDS.f_referrer, `${r.referrer_name} (${r.referrer})`],
    [WORDS.f_customer, r.customer_name || "—"],
    [WORDS.f_reason, reasons || "—"],
    [WORDS.f_to, null],
    [WORDS.f_rm, r.accepted_by_name || r.to_rm_name || t(WORDS.pool)],
    [WORDS.f_criteria, null],
    [WORDS.f_outcome, [t(WORDS[r.state]), r.product, r.follow_up_on].filter(Boolean).join(" · ")],
  ];
  view.querySelector("tbody").replaceChildren(...rows.map(([label, value]) => {
    const tr = document.createElement("tr");
    tr.innerHTML = "<th></th><td></td>";
    tr.children[0].textContent = t(label);
    if (label === WORDS.f_to) tr.children[1].innerHTML = tick(r.destination === "vip_room", t(WORDS.vip_room)) + tick(r.destination === "rm", t(WORDS.rm_desk));
    else if (label === WORDS.f_criteria) tr.children[1].innerHTML = tick(r.meets_criteria === true, t(WORDS.yes)) + tick(r.meets_criteria === false, t(WORDS.no));
    else tr.children[1].textContent = value;
    return tr;
  }));
  view.querySelector(".s1").textContent = t(WORDS.f_sign);
  view.querySelector(".s2").textContent = t(WORDS.f_sign_rm);
  view.querySelector("#form-print").textContent = t(WORDS.print);
  view.querySelector("#form-close").textContent = t(WORDS.close);
  view.querySelector("#form-print").addEventListener("click", () => {
    document.body.classList.add("printing");
    window.print();
    document.body.classList.remove("printing");
  });
  view.querySelector("#form-close").addEventListener("click", () => { view.classList.add("hidden"); formShown = null; });
  view.classList.remove("hidden");
}

function merge(referral) {
  const known = referrals.get(referral.referral_id);
  // Events never carry the phone: keep the one this RM's own list gave.
  referrals.set(referral.referral_id, { ...referral, phone: referral.phone || (known && known.phone) || null });
}

async function refresh() {
  if (!staff.person()) return;
  const answer = await staff.request("referral_list");
  if (answer.status !== "ok") return;
  referrals.clear();
  for (const r of answer.data.referrals) merge(r);
  followUps = answer.data.follow_ups;
  render();
}

function onMessage(topic, data) {
  if (health.handle(topic, data)) return;
  if (topic === "staff/state") { staff.onStaffState(data); return; }
  if (topic === "events/referral" && bus.firstTime(data.event_id)) {
    const r = data.referral;
    const isNew = !referrals.has(r.referral_id) && r.state === "open";
    merge(r);
    if (isNew && visible(r) && staff.person()) alertChime();
    if (r.state === "follow_up" || ["converted", "declined"].includes(r.state)) refresh();  // the follow-up list changes
    render();
  }
}

const health = new BranchHealth($("banners"), { devices: false });

function showPerson(person, needed) {
  $("sign-out").classList.toggle("hidden", !person);
  $("main").classList.toggle("hidden", !(person && bus && bus.state === "connected") || needed);
  if (person) refresh();
}

const link = new PageLink({
  role: "rm", chip: $("conn"), topics: TOPICS, onMessage,
  onBus: (b) => { bus = b; }, onConnected: (b) => staff.attach(b),
  onEnded: () => { $("main").classList.add("hidden"); $("staff").classList.add("hidden"); },
});
const connect = (credentials) => link.connect(credentials);

function texts() {
  applyTexts(TEXTS);
  $("branch-name").textContent = t([branch().branch.name, branch().branch.name_en]);
  document.title = `${t(TEXTS.title)} · ${t([branch().branch.name, branch().branch.name_en])}`;
  render();
  if (formShown) showForm(null, formShown);
}

async function main() {
  await loadBranch();
  languageToggle($("lang"));
  link.login = login = loginScreen({ role: "rm", container: $("login"), onSubmit: connect });
  staff = new StaffSignIn({
    page: "rm", container: $("staff"), onChange: showPerson,
    onDisconnect: () => { bus.close(); $("staff").classList.add("hidden"); $("main").classList.add("hidden"); login.show(); },
  });
  onLang(texts);
  setLang(lang());
  $("sign-out").addEventListener("click", () => { staff.signOut(); referrals.clear(); followUps = []; render(); });
  document.addEventListener("click", unlockAudio, { once: true });
  setInterval(() => { if (!$("main").classList.contains("hidden") && !document.querySelector("dialog[open]")) render(); }, 15000);
  const saved = login.saved();
  if (saved) connect(saved); else login.show();
}

main();
