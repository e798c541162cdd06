// Today's referrals on the manager's tablet: who was referred, to whom, and, once an RM
// accepts, who is on the way (the lobby manager keeps the customer company until then).
import { clockTime, t } from "../shared/i18n.js";
import { referredTo } from "../shared/refer-dialog.js";

const WORDS = {
  open: ["等待客户经理接受 · 已转介至{to}", "Waiting for an RM · referred to {to}"],
  accepted: ["{rm} 正在赶来（{time} 接受）", "{rm} is on the way (accepted {time})"],
  converted: ["已成交 · {rm}", "Converted · {rm}"], follow_up: ["待跟进 · {rm}", "Follow-up · {rm}"], declined: ["客户婉拒 · {rm}", "Declined · {rm}"],
};

export class ReferralList {
  constructor(container) {
    this.container = container;
    this.referrals = new Map();
  }

  replace(list) { this.referrals.clear(); for (const r of list) this.referrals.set(r.referral_id, r); this.render(); }

  update(referral) { this.referrals.set(referral.referral_id, referral); this.render(); }

  // The referral made from a VIP alert, if any.
  forAlert(alertId) { return [...this.referrals.values()].find((r) => r.alert_id === alertId) || null; }

  static words(r) {
    if (r.state === "open") return t(WORDS.open, { to: referredTo(r) });
    if (r.state === "accepted") return t(WORDS.accepted, { rm: r.accepted_by_name, time: clockTime(new Date(r.accepted_at)) });
    return t(WORDS[r.state], { rm: r.accepted_by_name || "" });
  }

  render() {
    const list = [...this.referrals.values()].sort((a, b) => b.created_at.localeCompare(a.created_at));
    this.container.classList.toggle("hidden", !list.length);
    const ol = this.container.querySelector("ol");
    ol.replaceChildren(...list.map((r) => {
      const li = document.createElement("li");
      li.dataset.referralId = r.referral_id;
      li.className = `ref s-${r.state}`;
      li.innerHTML = '<b class="num"></b><span class="who"></span><span class="referral-state"></span>';
      li.children[0].textContent = r.ticket || "";
      li.children[1].textContent = r.customer_name || "—";
      li.children[2].classList.add(`s-${r.state}`);
      li.children[2].textContent = ReferralList.words(r);
      return li;
    }));
  }
}
