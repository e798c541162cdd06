// 营销信息发布 from the tablet: what the hall display and the kiosk show today, publishing a
// new promotion (title, text, an optional picture, dates, the tiers it is meant for) and
// withdrawing one. The agent checks the picture; its refusal is shown in words.
import { branchDate, current as branch } from "../shared/branch.js";
import { explain } from "../shared/errors.js";
import { named, t } from "../shared/i18n.js";
import { openSheet } from "../shared/sheet.js";

const WORDS = {
  title: ["发布营销信息", "Publish a promotion"], f_title: ["标题（30 字以内）", "Title (up to 30 characters)"],
  f_text: ["内容（120 字以内）", "Text (up to 120 characters)"], f_image: ["图片（PNG 或 JPEG，可选）", "Picture (PNG or JPEG, optional)"],
  f_from: ["开始日期", "From"], f_to: ["结束日期", "To"], f_tiers: ["面向客户（不选则全部）", "For (none ticked: everyone)"],
  cancel: ["取消", "Cancel"], publish: ["发布", "Publish"], withdraw: ["撤下", "Withdraw"],
  none: ["暂无营销信息", "No promotions showing"], until: ["至 {date}", "until {date}"], everyone: ["全部客户", "everyone"],
  unreadable: ["无法读取这个文件", "That file could not be read"],
};

export class Promotions {
  constructor(container, staff) {
    this.container = container;
    this.staff = staff;
    this.current = [];
    container.querySelector("#promo-new").addEventListener("click", () => this.open());
  }

  show(state) { this.current = state.promotions || []; this.render(); }

  render() {
    const list = this.container.querySelector("ol");
    list.dataset.empty = t(WORDS.none);
    list.replaceChildren(...this.current.map((p) => {
      const li = document.createElement("li");
      li.dataset.promotionId = p.promotion_id;
      li.innerHTML = '<span class="thumb"></span><span class="p-text"><b></b><span class="muted"></span></span><button type="button" class="btn"></button>';
      if (p.image) { const img = document.createElement("img"); img.src = p.image; img.alt = ""; li.firstChild.append(img); }
      li.querySelector("b").textContent = p.title;
      const tiers = p.tiers.length ? p.tiers.map((id) => named(branch().tiers[id] || { name_zh: id, name_en: id })).join("、") : t(WORDS.everyone);
      li.querySelector(".muted").textContent = `${p.text ? `${p.text} · ` : ""}${tiers} · ${t(WORDS.until, { date: p.ends_on })}`;
      const button = li.querySelector("button");
      button.textContent = t(WORDS.withdraw);
      button.addEventListener("click", async () => {
        button.disabled = true;
        const answer = await this.staff.request("promotion_withdraw", { promotion_id: p.promotion_id });
        if (answer.status !== "ok") { button.disabled = false; li.querySelector(".muted").textContent = explain(answer); }
      });
      return li;
    }));
  }

  open() {
    const today = branchDate();
    const sheet = openSheet({
      className: "promotion", cancel: t(WORDS.cancel), submit: t(WORDS.publish),
      html: `<h2></h2>
      <label class="field"><span class="l-title"></span><input type="text" name="title" maxlength="30" required></label>
      <label class="field"><span class="l-text"></span><textarea name="text" maxlength="120"></textarea></label>
      <label class="field"><span class="l-image"></span><input type="file" name="image" accept="image/png,image/jpeg"></label>
      <div class="row2"><label class="field"><span class="l-from"></span><input type="date" name="starts_on"></label>
        <label class="field"><span class="l-to"></span><input type="date" name="ends_on"></label></div>
      <div><b class="l-tiers"></b><div class="choices tiers"></div></div>`,
    });
    const { dialog, form } = sheet;
    const q = (sel) => dialog.querySelector(sel);
    for (const key of ["title", "text", "image", "from", "to", "tiers"]) q(`.l-${key}`).textContent = t(WORDS[`f_${key}`]);
    q("h2").textContent = t(WORDS.title);
    form.starts_on.value = today;
    form.ends_on.value = today;
    q(".tiers").replaceChildren(...Object.entries(branch().tiers).map(([id, rule]) => {
      const label = document.createElement("label");
      label.className = "choice";
      label.innerHTML = '<input type="checkbox" name="tier"><span></span>';
      label.firstChild.value = id;
      label.lastChild.textContent = named(rule);
      return label;
    }));
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const fields = {
        title: form.title.value.trim(), text: form.text.value.trim(), starts_on: form.starts_on.value, ends_on: form.ends_on.value,
        tiers: [...form.querySelectorAll("input[name=tier]:checked")].map((box) => box.value),
      };
      if (!fields.title) { form.title.focus(); return; }
      const file = form.image.files[0];
      if (file) {
        try { fields.image = await base64(file); } catch { sheet.error.textContent = t(WORDS.unreadable); return; }
      }
      sheet.submitButton.disabled = true;
      const answer = await this.staff.request("promotion_publish", fields);
      sheet.submitButton.disabled = false;
      if (answer.status === "ok") sheet.close();
      else sheet.error.textContent = explain(answer);
    });
  }
}

function base64(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).replace(/^data:[^,]*,/, ""));
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
}
