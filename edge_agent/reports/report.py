"""`edge-agent report`: a day (or a range) as a CSV and a self-contained HTML page with charts.

Charts are drawn with matplotlib (Chinese labels in WenQuanYi Micro Hei) and embedded as
PNG, so the page can be mailed or opened offline. Times are in the branch's zone.

One file because it lays out one page; the figures are computed in the modules beside it.
"""

from __future__ import annotations

import base64
import csv
import html
import io
import logging
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no screen on a branch box
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import font_manager  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from edge_agent.reports.appointment_figures import AppointmentFigures, compute_appointments  # noqa: E402
from edge_agent.reports.figures import Figures, compute  # noqa: E402
from edge_agent.reports.promise_figures import PromiseFigures, compute_promise  # noqa: E402
from edge_agent.reports.rating_figures import RatingFigures, VoiceFigures, compute_voice  # noqa: E402
from edge_agent.reports.referral_figures import ReferralFigures, compute_referrals  # noqa: E402
from edge_agent.store import report_rows  # noqa: E402
from edge_agent.store.db import Store  # noqa: E402
from lobby.config import BranchConfig  # noqa: E402
from lobby.fonts import FontMissing, cjk_font_path  # noqa: E402

log = logging.getLogger(__name__)
PALETTE = ["#b3121f", "#14213d", "#c9a227", "#2a7f62", "#6c757d", "#7b4ea3"]


def _font() -> None:
    try:
        font = str(cjk_font_path())
    except FontMissing as exc:
        log.warning("the report's charts will show boxes for Chinese: %s", exc)
    else:
        font_manager.fontManager.addfont(font)
        plt.rcParams["font.family"] = font_manager.FontProperties(fname=font).get_name()
    plt.rcParams["axes.spines.top"] = plt.rcParams["axes.spines.right"] = False


def charts(figures: Figures, config: BranchConfig) -> bytes:
    _font()
    names = {s.id: f"{s.name_zh} {s.name_en}" for s in config.services}
    services = [s.id for s in config.services if s.id in figures.per_service]
    fig, axes = plt.subplots(2, 2, figsize=(13, 8.5), dpi=110)
    fig.suptitle(f"{config.branch.name} {config.branch.name_en} — {_period(figures)}", fontsize=15, fontweight="bold")

    ax = axes[0][0]
    hours = list(range(min(figures.per_hour, default=9), max(figures.per_hour, default=17) + 1))
    bottom = [0] * len(hours)
    for i, sid in enumerate(services):
        values = [figures.per_hour.get(h, Counter()).get(sid, 0) for h in hours]
        ax.bar(hours, values, bottom=bottom, color=PALETTE[i % len(PALETTE)], label=names[sid], width=0.8)
        bottom = [b + v for b, v in zip(bottom, values, strict=False)]
    ax.set_title("每小时取号 Tickets per hour")
    ax.set_xticks(hours, [f"{h:02d}:00" for h in hours], rotation=45)
    ax.legend(fontsize=8, frameon=False)

    ax = axes[0][1]
    data = [figures.waits_by_service.get(sid, []) for sid in services]
    parts = ax.boxplot(data, orientation="horizontal", showfliers=False, patch_artist=True, widths=0.6)
    for patch, colour in zip(parts["boxes"], PALETTE, strict=False):
        patch.set_facecolor(colour)
        patch.set_alpha(0.55)
    for i, sid in enumerate(services, start=1):
        ax.plot([figures.targets_min[sid]] * 2, [i - 0.35, i + 0.35], color="#b3121f", linewidth=2.5)
    ax.set_yticks(range(1, len(services) + 1), [names[s] for s in services], fontsize=9)
    ax.set_title("等候时间分布（红线为目标） Wait vs target (red), min")

    ax = axes[1][0]
    pct = [figures.per_service[s].within_target_pct or 0 for s in services]
    bars = ax.barh([names[s] for s in services], pct, color=[PALETTE[0] if p < 80 else PALETTE[3] for p in pct])
    ax.bar_label(bars, labels=[f"{p:.0f}%" for p in pct], padding=3, fontsize=9)
    ax.axvline(80, color="#6c757d", linestyle="--", linewidth=1)
    ax.set_xlim(0, 105)
    ax.set_title("目标时间内叫号比例 Called within target")

    ax = axes[1][1]
    labels = {"greeted": "已接待\nGreeted", "referred": "转介客户经理\nReferred to RM", "declined": "婉拒\nDeclined"}
    unanswered = figures.alerts - figures.alerts_answered
    values = [figures.outcomes.get(k, 0) for k in labels] + [unanswered]
    ax.bar(list(labels.values()) + ["未处理\nUnanswered"], values, color=[PALETTE[3], PALETTE[1], PALETTE[4], PALETTE[0]])
    ax.set_title(f"贵宾提醒 {figures.alerts} VIP alerts — 中位响应 median answer {figures.answer_median_s or 0} s")
    ax.tick_params(axis="x", labelsize=9)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return buffer.getvalue()


def _period(figures: Figures) -> str:
    return figures.first_day.isoformat() if figures.first_day == figures.last_day else f"{figures.first_day} – {figures.last_day}"


def _fmt(value: object) -> str:
    return "—" if value is None else str(value)


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value}%"


STATES = {"open": "待接受 Waiting", "accepted": "已接受 Accepted", "converted": "成交 Converted", "follow_up": "待跟进 Follow-up",
          "declined": "婉拒 Declined"}


def referral_chart(referrals: ReferralFigures, config: BranchConfig) -> bytes | None:
    """Why customers were referred, and what each RM made of it: the two a branch head looks at."""
    if not referrals.total:
        return None
    _font()
    labels = {t.code: t.zh for t in config.referrals.triggers}
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 4.6), dpi=110)
    triggers = referrals.per_trigger.most_common(8)[::-1]
    left.barh([labels.get(code, code)[:14] for code, _ in triggers], [n for _, n in triggers], color=PALETTE[1])
    left.xaxis.set_major_locator(MaxNLocator(integer=True))
    left.set_title("转介理由 Why referred")
    rms = list(referrals.per_rm.items())
    bottom = [0] * len(rms)
    for i, state in enumerate(("converted", "follow_up", "declined")):
        values = [getattr(f, state) for _, f in rms]
        right.bar([name for name, _ in rms], values, bottom=bottom, color=PALETTE[[3, 2, 4][i]], label=STATES[state])
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    right.yaxis.set_major_locator(MaxNLocator(integer=True))
    right.set_title("客户经理接待结果 Outcomes per RM")
    right.legend(fontsize=9)
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format="png")
    plt.close(fig)
    return out.getvalue()


def referral_section(referrals: ReferralFigures, config: BranchConfig, png: bytes | None) -> str:
    e = html.escape
    if not referrals.total:
        return "<h2>识别转介 Referrals</h2><p><small>本期没有转介。No referrals in this period.</small></p>"
    labels = {t.code: f"{t.zh}<br><small>{e(t.en)}</small>" for t in config.referrals.triggers}
    referrers = "".join(f"<tr><td>{e(who)}</td><td>{n}</td></tr>" for who, n in referrals.per_referrer.most_common())
    triggers = "".join(f"<tr><td>{labels.get(code, e(code))}</td><td>{n}</td></tr>" for code, n in referrals.per_trigger.most_common())
    rms = "".join(
        f"<tr><td>{e(rm)}</td><td>{f.accepted}</td><td>{f.converted}</td><td>{f.follow_up}</td><td>{f.declined}</td><td>{_pct(f.conversion_pct)}</td></tr>"
        for rm, f in referrals.per_rm.items()
    )
    outcomes = " · ".join(f"{STATES.get(state, state)} {n}" for state, n in referrals.outcomes.most_common())
    chart = f'<img alt="referral charts" src="data:image/png;base64,{base64.b64encode(png).decode()}">' if png else ""
    return f"""<h2>识别转介 Referrals</h2>
<section class="kpis">
<div class="kpi"><b>{referrals.total}</b><span>转介 Referrals</span></div>
<div class="kpi"><b>{_pct(referrals.within_target_pct)}</b><span>{referrals.accept_target_min:g} 分钟内接受 Accepted within {referrals.accept_target_min:g} min</span></div>
<div class="kpi"><b>{_fmt(referrals.accept_median_min)}</b><span>接受用时中位（分钟）Median to accept, min</span></div>
<div class="kpi"><b>{referrals.outcomes.get("converted", 0)}</b><span>当场成交 Converted</span></div>
<div class="kpi"><b>{referrals.open_follow_ups}</b><span>待跟进 Open follow-ups</span></div>
</section>
<p><small>{e(outcomes)}</small></p>
{chart}
<table><tr><th>推荐人 Referrer</th><th>转介 Referrals</th></tr>{referrers}</table>
<table><tr><th>转介理由 Trigger</th><th>次数 Times</th></tr>{triggers}</table>
<table><tr><th>客户经理 RM</th><th>接受 Accepted</th><th>成交 Converted</th><th>跟进 Follow-up</th><th>婉拒 Declined</th><th>转化率 Conversion</th></tr>{rms}</table>"""


FLAGS = {"skip": "评价跳过率高 High skip rate", "quick": "几乎每次评价都在提示后一秒内 Nearly every vote within a second of the prompt"}


def voice_chart(voice: RatingFigures, config: BranchConfig) -> bytes | None:
    """Satisfaction by hour and by teller, and complaints by category."""
    if not voice.all.prompts and not voice.complaints:
        return None
    _font()
    fig, (by_hour, by_teller, by_category) = plt.subplots(1, 3, figsize=(15, 4.6), dpi=110)
    hours = sorted(voice.per_hour)
    by_hour.bar(hours, [voice.per_hour[h].satisfied_pct or 0 for h in hours], color=PALETTE[3])
    by_hour.set_xticks(hours, [f"{h:02d}:00" for h in hours], rotation=45)
    by_hour.set_ylim(0, 100)
    by_hour.set_title("每小时满意率 % Satisfied by hour")
    tellers = list(voice.per_teller)
    x = range(len(tellers))
    by_teller.bar([i - 0.2 for i in x], [voice.per_teller[t].satisfied_pct or 0 for t in tellers], width=0.4, color=PALETTE[3], label="满意率 Satisfied %")
    by_teller.bar([i + 0.2 for i in x], [voice.per_teller[t].skip_pct or 0 for t in tellers], width=0.4, color=PALETTE[0], label="跳过率 Skipped %")
    by_teller.set_xticks(list(x), [t.split(" (")[0] for t in tellers])
    by_teller.set_ylim(0, 100)
    by_teller.legend(fontsize=9)
    by_teller.set_title("按柜员 By teller")
    names = {c.code: c.zh for c in config.complaints.categories}
    categories = voice.per_category.most_common()[::-1]
    by_category.barh([names.get(code, code) for code, _ in categories], [n for _, n in categories], color=PALETTE[1])
    by_category.xaxis.set_major_locator(MaxNLocator(integer=True))
    by_category.set_title("投诉类别 Complaints by category")
    fig.tight_layout()
    out = io.BytesIO()
    fig.savefig(out, format="png")
    plt.close(fig)
    return out.getvalue()


def _voice_rows(table: dict, label) -> str:
    return "".join(
        f"<tr><td>{html.escape(label(key))}</td><td>{f.prompts}</td><td>{f.answered}</td><td>{_pct(f.skip_pct)}</td>"
        f"<td>{_fmt(f.mean_score)}</td><td>{_pct(f.satisfied_pct)}</td><td>{f.low}</td><td>{f.quick}</td></tr>"
        for key, f in table.items()
    )


def voice_section(voice: RatingFigures, config: BranchConfig, png: bytes | None) -> str:
    e = html.escape
    head = ("<tr><th></th><th>提示 Prompts</th><th>评价 Answered</th><th>跳过率 Skipped</th><th>平均分 Mean score</th>"
            "<th>满意率 Satisfied</th><th>不满意 Low</th><th>一秒内 Within 1 s</th></tr>")
    services = {s.id: f"{s.name_zh} {s.name_en}" for s in config.services}
    flags = "".join(f"<li><b>{e(teller)}</b>: {e(FLAGS[why])}</li>" for teller, why in voice.flags)
    categories = {c.code: f"{c.zh} {c.en}" for c in config.complaints.categories}
    complaint_rows = "".join(f"<tr><td>{e(categories.get(code, code))}</td><td>{n}</td></tr>" for code, n in voice.per_category.most_common())
    overdue = "".join(
        f"<li>{e(categories.get(c.category, c.category))} · {c.opened_at:%Y-%m-%d %H:%M} · {e(', '.join(c.overdue))}</li>" for c in voice.overdue
    )
    chart = f'<img alt="ratings and complaints" src="data:image/png;base64,{base64.b64encode(png).decode()}">' if png else ""
    hour_table = dict(sorted(voice.per_hour.items()))
    return f"""<h2>服务评价与投诉 Ratings and complaints</h2>
<section class="kpis">
<div class="kpi"><b>{voice.all.answered}/{voice.all.prompts}</b><span>评价/提示 Rated / prompted</span></div>
<div class="kpi"><b>{_pct(voice.all.satisfied_pct)}</b><span>满意率 Satisfied</span></div>
<div class="kpi"><b>{voice.all.low}</b><span>不满意 Low scores</span></div>
<div class="kpi"><b>{voice.complaints_resolved}/{voice.complaints}</b><span>投诉办结 Complaints resolved</span></div>
<div class="kpi"><b>{len(voice.overdue)}</b><span>超时投诉 Overdue complaints</span></div>
</section>
{chart}
{f'<h3>需要关注 Worth a look</h3><ul class="flags">{flags}</ul>' if flags else ''}
<table>{head.replace("<th></th>", "<th>柜员 Teller</th>", 1)}{_voice_rows(voice.per_teller, str)}</table>
<table>{head.replace("<th></th>", "<th>柜台 Counter</th>", 1)}{_voice_rows(voice.per_counter, str)}</table>
<table>{head.replace("<th></th>", "<th>业务 Service</th>", 1)}{_voice_rows(voice.per_service, lambda sid: services.get(sid, sid))}</table>
<table>{head.replace("<th></th>", "<th>时段 Hour</th>", 1)}{_voice_rows(hour_table, lambda h: f"{h:02d}:00")}</table>
<table><tr><th>投诉类别 Category</th><th>投诉 Complaints</th></tr>{complaint_rows}</table>
<p><small>被拒绝的评价（重复、已关闭、其他柜台）{voice.refused_votes} 次 · Refused votes (repeated, closed, another counter): {voice.refused_votes}.
投诉受理用时中位 {_fmt(voice.ack_median_min)} 分钟，办结用时中位 {_fmt(voice.resolve_median_h)} 小时。
Complaints acknowledged in a median of {_fmt(voice.ack_median_min)} min, resolved in {_fmt(voice.resolve_median_h)} h.</small></p>
{f'<h3>超时投诉 Overdue complaints</h3><ul>{overdue}</ul>' if overdue else ''}"""


def promise_section(promise: PromiseFigures, config: BranchConfig) -> str:
    """预计等候的兑现: how often the wait fell inside the printed range, and how far the middle figure was."""
    if not promise.all.told:
        return "<h2>预计等候的兑现 The wait we promised</h2><p><small>本期没有可评估的预计等候。No estimated waits to check in this period.</small></p>"
    e = html.escape
    names = {s.id: (s.name_zh, s.name_en) for s in config.services}
    rows = "".join(
        f"<tr><td>{e(names[sid][0])}<br><small>{e(names[sid][1])}</small></td><td>{k.told}</td>"
        f"<td>{_pct(k.inside_pct)}</td><td>{_fmt(k.mae_min)}</td><td>{_fmt(k.bias_min)}</td></tr>"
        for sid, k in ((s.id, promise.per_service.get(s.id)) for s in config.services) if k
    )
    used = " · ".join(f"{e(name)} {n}" for name, n in promise.predictors.most_common())
    return f"""<h2>预计等候的兑现 The wait we promised</h2>
<section class="kpis">
<div class="kpi"><b>{_pct(promise.all.inside_pct)}</b><span>实际等候在预计范围内 Waits inside the printed range (aim: 80%)</span></div>
<div class="kpi"><b>{_fmt(promise.all.mae_min)}</b><span>预计与实际平均相差（分钟）Mean error of the middle figure, min</span></div>
<div class="kpi"><b>{_fmt(promise.all.bias_min)}</b><span>平均偏差（正：说长了）Bias, min (positive: we said too long)</span></div>
</section>
<table><tr><th>业务 Service</th><th>已告知 Told</th><th>范围内 Inside</th><th>平均误差 MAE</th><th>偏差 Bias</th></tr>{rows}</table>
<p><small>预测方式 Predictor used: {used}</small></p>"""


def appointment_section(figures: AppointmentFigures, config: BranchConfig) -> str:
    """预约: bookings, when their customers came against the slot, and how soon after it they were called."""
    if not figures.all.bookings and not figures.all.cancelled:
        return "<h2>预约 Appointments</h2><p><small>本期没有预约。No bookings in this period.</small></p>"
    e = html.escape
    names = {s.id: (s.name_zh, s.name_en) for s in config.services}
    rows = "".join(
        f"<tr><td>{e(names.get(sid, (sid, sid))[0])}<br><small>{e(names.get(sid, (sid, sid))[1])}</small></td><td>{k.bookings}</td>"
        f"<td>{k.early}</td><td>{k.on_time}</td><td>{k.late}</td><td>{k.no_show}</td><td>{k.cancelled}</td>"
        f"<td>{_fmt(k.called_after_slot.mean_min)}</td><td>{_fmt(k.called_after_slot.p90_min)}</td></tr>"
        for sid, k in figures.per_service.items()
    )
    a = figures.all
    window = config.appointments
    return f"""<h2>预约 Appointments</h2>
<section class="kpis">
<div class="kpi"><b>{a.bookings}</b><span>预约 Bookings</span></div>
<div class="kpi"><b>{a.early + a.on_time}</b><span>按时签到 Checked in (early or on time)</span></div>
<div class="kpi"><b>{a.late}</b><span>逾时（改普通号）Late: walk-in ticket</span></div>
<div class="kpi"><b>{a.no_show}</b><span>未到 No-shows</span></div>
<div class="kpi"><b>{_fmt(a.called_after_slot.mean_min)}</b><span>预约时间后平均叫号（分钟）Called after the slot, mean min</span></div>
</section>
<table><tr><th>业务 Service</th><th>预约 Bookings</th><th>提前 Early</th><th>准时 On time</th><th>逾时 Late</th><th>未到 No-show</th>
<th>取消 Cancelled</th><th>叫号晚于预约 平均 Called after slot, mean</th><th>P90</th></tr>{rows}</table>
<p><small>提前 = 预约时间前签到（最早提前 {window.early_min:g} 分钟）；准时 = 预约时间后 {window.late_min:g} 分钟内；逾时 = 之后到店，改取普通号。
叫号晚于预约 = 预约时间至首次叫号，提前叫到计 0。Early = checked in before the slot (from {window.early_min:g} min before);
on time = up to {window.late_min:g} min after it; late = later, given a walk-in ticket. Called after slot: from the slot to the first call, 0 when called before it.</small></p>"""


def html_page(figures: Figures, config: BranchConfig, png: bytes, referrals: str = "") -> str:
    names = {s.id: (s.name_zh, s.name_en) for s in config.services}
    e = html.escape
    rows = "".join(
        f"<tr><td>{e(names[s][0])}<br><small>{e(names[s][1])}</small></td><td>{f.tickets}</td><td>{f.served}</td><td>{f.no_shows}</td>"
        f"<td>{_fmt(f.wait.mean_min)}</td><td>{_fmt(f.wait.p90_min)}</td><td>{_fmt(f.within_target_pct)}%</td>"
        f"<td>{_fmt(f.service_time.mean_min)}</td><td>{_fmt(f.service_time.p90_min)}</td></tr>"
        for s, f in ((s.id, figures.per_service.get(s.id)) for s in config.services) if f
    )
    counters = "".join(
        f"<tr><td>{e(c)}</td><td>{f.tickets}</td><td>{f.served}</td><td>{f.no_shows}</td><td>{_fmt(f.wait.mean_min)}</td>"
        f"<td>{_fmt(f.service_time.mean_min)}</td><td>{_fmt(f.service_time.p90_min)}</td></tr>"
        for c, f in figures.per_counter.items()
    )
    answered = f"{figures.alerts_answered}/{figures.alerts}" if figures.alerts else "0"
    return f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<title>{e(config.branch.name)} {_period(figures)} 日报 Daily report</title>
<style>
body{{font-family:"WenQuanYi Micro Hei","Noto Sans CJK SC","PingFang SC",sans-serif;margin:0;background:#f4f6f9;color:#1b2430}}
header{{background:#14213d;color:#fff;padding:22px 32px}} header h1{{margin:0;font-size:24px}} header p{{margin:4px 0 0;opacity:.8}}
main{{max-width:1200px;margin:0 auto;padding:24px}} .kpis{{display:grid;grid-template-columns:repeat(5,1fr);gap:14px}}
.kpi{{background:#fff;border-radius:12px;padding:16px;border:1px solid #dde3ea}} .kpi b{{display:block;font-size:30px;color:#b3121f}}
.kpi span{{font-size:13px;color:#5b6675}} img{{width:100%;background:#fff;border-radius:12px;margin:20px 0;border:1px solid #dde3ea}}
table{{width:100%;border-collapse:collapse;background:#fff;border-radius:12px;overflow:hidden;margin-bottom:24px}}
th,td{{padding:10px 12px;border-bottom:1px solid #eef1f5;text-align:right}} th:first-child,td:first-child{{text-align:left}}
th{{background:#eef1f5;font-size:13px}} small{{color:#5b6675}} h2{{font-size:18px}}
</style></head><body>
<header><h1>{e(config.branch.name)} 营业日报 · Daily report</h1><p>{e(config.branch.name_en)} — {_period(figures)} ({e(config.branch.timezone)})</p></header>
<main>
<section class="kpis">
<div class="kpi"><b>{figures.tickets}</b><span>取号 Tickets</span></div>
<div class="kpi"><b>{_fmt(figures.wait.mean_min)}</b><span>平均等候（分钟）Mean wait, min</span></div>
<div class="kpi"><b>{_fmt(figures.within_target_pct)}%</b><span>目标内叫号 Called within target</span></div>
<div class="kpi"><b>{figures.no_shows}</b><span>过号 No-shows</span></div>
<div class="kpi"><b>{figures.expired}</b><span>营业结束未叫号 Still waiting at closing</span></div>
<div class="kpi"><b>{answered}</b><span>贵宾提醒已处理 VIP alerts answered</span></div>
</section>
<img alt="charts" src="data:image/png;base64,{base64.b64encode(png).decode()}">
<h2>按业务 By service</h2>
<table><tr><th>业务 Service</th><th>取号 Tickets</th><th>办结 Served</th><th>过号 No-show</th><th>平均等候 Mean wait</th><th>P90 等候</th>
<th>目标内 Within target</th><th>平均办理 Mean service</th><th>P90 办理</th></tr>{rows}</table>
<h2>按柜台 By counter</h2>
<table><tr><th>柜台 Counter</th><th>叫号 Called</th><th>办结 Served</th><th>过号 No-show</th><th>平均等候 Mean wait</th><th>平均办理 Mean service</th><th>P90 办理</th></tr>{counters}</table>
<p><small>等候 = 取号至首次叫号；办理 = 最后一次叫号至办结；单位：分钟。贵宾提醒中位响应 {_fmt(figures.answer_median_s)} 秒，P90 {_fmt(figures.answer_p90_s)} 秒。
Wait = ticket to first call; service = last call to complete; minutes. VIP alerts answered in a median of {_fmt(figures.answer_median_s)} s (p90 {_fmt(figures.answer_p90_s)} s).</small></p>
{referrals}
</main></body></html>"""


def _voice_csv(out, scope: str, key: object, f: VoiceFigures) -> None:
    # Columns reused: tickets=prompts, served=answered, no_shows=low scores, then skip %, mean score, satisfied %, quick votes.
    out.writerow([scope, key, f.prompts, f.answered, f.low, f.skip_pct, f.mean_score, f.satisfied_pct, f.quick, ""])


def write_csv(
    figures: Figures, path: Path, referrals: ReferralFigures | None = None, voice: RatingFigures | None = None,
    promise: PromiseFigures | None = None, appointments: AppointmentFigures | None = None,
) -> None:
    with open(path, "w", newline="", encoding="utf-8-sig") as handle:  # BOM: Excel opens Chinese correctly
        out = csv.writer(handle)
        out.writerow(["scope", "id", "tickets", "served", "no_shows", "mean_wait_min", "p90_wait_min", "within_target_pct", "mean_service_min", "p90_service_min"])
        for scope, table in (("service", figures.per_service), ("counter", figures.per_counter)):
            for key, f in table.items():
                out.writerow([scope, key, f.tickets, f.served, f.no_shows, f.wait.mean_min, f.wait.p90_min, f.within_target_pct, f.service_time.mean_min, f.service_time.p90_min])
        out.writerow(["branch", "all", figures.tickets, figures.served, figures.no_shows, figures.wait.mean_min, figures.wait.p90_min, figures.within_target_pct, "", ""])
        out.writerow(["vip_alerts", "answered", figures.alerts, figures.alerts_answered, "", figures.answer_median_s, figures.answer_p90_s, "", "", ""])
        for outcome, n in sorted(figures.outcomes.items()):
            out.writerow(["vip_alert_outcome", outcome, n, "", "", "", "", "", "", ""])
        if promise is not None:
            # Columns reused: tickets=told a wait, served=inside the range, mean_wait=MAE of the middle figure,
            # p90_wait=bias, within_target_pct=inside %.
            for key, kept in (("all", promise.all), *promise.per_service.items()):
                out.writerow(["wait_promise", key, kept.told, kept.inside, "", kept.mae_min, kept.bias_min, kept.inside_pct, "", ""])
        if appointments is not None:
            # Columns reused: tickets=bookings, served=checked in (early + on time), no_shows=no-shows,
            # mean/p90 wait = minutes from the slot to the first call; then early, on time, late, cancelled in the last four.
            for key, k in (("all", appointments.all), *appointments.per_service.items()):
                out.writerow(["appointments", key, k.bookings, k.early + k.on_time, k.no_show, k.called_after_slot.mean_min,
                              k.called_after_slot.p90_min, k.early, k.on_time, f"late={k.late};cancelled={k.cancelled}"])
        if referrals is None:
            return
        # Referral rows: the count in `tickets`; per RM, accepted / converted / follow-up / declined and the conversion.
        out.writerow(["referrals", "all", referrals.total, referrals.accepted, referrals.accepted_within_target, referrals.accept_median_min,
                      "", referrals.within_target_pct, "", ""])
        out.writerow(["referrals", "open_follow_ups", referrals.open_follow_ups, "", "", "", "", "", "", ""])
        for who, n in referrals.per_referrer.most_common():
            out.writerow(["referrer", who, n, "", "", "", "", "", "", ""])
        for code, n in referrals.per_trigger.most_common():
            out.writerow(["referral_trigger", code, n, "", "", "", "", "", "", ""])
        for state, n in sorted(referrals.outcomes.items()):
            out.writerow(["referral_outcome", state, n, "", "", "", "", "", "", ""])
        for rm, rm_figures in referrals.per_rm.items():
            out.writerow(["rm", rm, rm_figures.accepted, rm_figures.converted, rm_figures.follow_up, rm_figures.declined, "",
                          rm_figures.conversion_pct, "", ""])
        if voice is None:
            return
        _voice_csv(out, "ratings", "all", voice.all)
        voice_tables: list[tuple[str, dict]] = [("rating_teller", voice.per_teller), ("rating_counter", voice.per_counter),
                                                ("rating_service", voice.per_service), ("rating_hour", voice.per_hour)]
        for scope, voice_table in voice_tables:
            for key, voice_figures in voice_table.items():
                _voice_csv(out, scope, key, voice_figures)
        for teller, why in voice.flags:
            out.writerow(["rating_flag", teller, why, "", "", "", "", "", "", ""])
        out.writerow(["ratings", "refused_votes", voice.refused_votes, "", "", "", "", "", "", ""])
        out.writerow(["complaints", "all", voice.complaints, voice.complaints_resolved, len(voice.overdue), voice.ack_median_min,
                      voice.resolve_median_h, "", "", ""])
        for code, n in voice.per_category.most_common():
            out.writerow(["complaint_category", code, n, "", "", "", "", "", "", ""])


def make_report(config: BranchConfig, store: Store, first: date, last: date, out_dir: Path) -> tuple[Path, Path, Figures]:
    tickets, alerts = report_rows.load(store, first, last)
    targets = {s.id: s.target_wait_min for s in config.services}
    figures = compute(tickets, alerts, targets, first, last, config.branch.zone)
    referral_rows, open_follow_ups = report_rows.load_referrals(store, first, last)
    referrals = compute_referrals(referral_rows, config.referrals.accept_target_min, open_follow_ups)
    zone = config.branch.zone
    period_end = min(datetime.now(zone), datetime.combine(last + timedelta(days=1), datetime.min.time(), tzinfo=zone))
    prompts, complaint_rows, refused = report_rows.load_voice(store, first, last, zone, timedelta(minutes=config.complaints.ack_target_min), period_end)
    ratings = config.ratings
    voice = compute_voice(prompts, complaint_rows, refused, scale=ratings.scale, low_score=ratings.low_score,
                          quick_vote_s=ratings.quick_vote_s, skip_flag_pct=ratings.skip_flag_pct)
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"report-{first.isoformat()}" + ("" if first == last else f"-to-{last.isoformat()}")
    png = charts(figures, config)
    html_path, csv_path = out_dir / f"{stem}.html", out_dir / f"{stem}.csv"
    promise = compute_promise(report_rows.load_promises(store, first, last))
    appointments = compute_appointments(report_rows.load_appointments(store, first, last))
    sections = (
        promise_section(promise, config)
        + appointment_section(appointments, config)
        + referral_section(referrals, config, referral_chart(referrals, config))
        + voice_section(voice, config, voice_chart(voice, config))
    )
    html_path.write_text(html_page(figures, config, png, sections), encoding="utf-8")
    (out_dir / f"{stem}.png").write_bytes(png)
    write_csv(figures, csv_path, referrals, voice, promise, appointments)
    return html_path, csv_path, figures
