"""`edge-agent followups --date D`: the 待跟进客户名单, every open follow-up by RM with its
due date, as an HTML page to print and a CSV. It is the one list, beside the RM's own
workbench, that shows the phone numbers customers agreed to leave."""

from __future__ import annotations

import csv
import html
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from edge_agent.store import referrals as stored
from edge_agent.store import staff as roster
from edge_agent.store.db import Store
from lobby.config import BranchConfig

CHANNELS = {"phone": "电话 Phone", "visit": "上门/到店 Visit", "wechat": "微信 WeChat", "sms": "短信 SMS"}
COLUMNS = ("rm", "rm_name", "due", "overdue", "customer_name", "tier", "phone", "channel", "referred_on", "referrer", "reasons", "note")


@dataclass(frozen=True)
class FollowUp:
    rm: str
    rm_name: str
    due: date
    overdue: bool
    customer_name: str
    tier: str
    phone: str
    channel: str
    referred_on: str
    referrer: str
    reasons: str
    note: str


def follow_ups(config: BranchConfig, store: Store, day: date) -> list[FollowUp]:
    conn = store.conn
    names = roster.names(conn)
    labels = {t.code: t.zh for t in config.referrals.triggers}
    tiers = {tier.value: rule.name_zh for tier, rule in config.tiers.items()}
    out = []
    for row in stored.open_follow_ups(conn, day):
        due = date.fromisoformat(row["follow_up_on"])
        reasons = "；".join(labels.get(code, code) for code in stored.triggers_of(row))
        out.append(FollowUp(
            rm=row["accepted_by"], rm_name=names.get(row["accepted_by"], row["accepted_by"]), due=due, overdue=due < day,
            customer_name=row["customer_name"], tier=tiers.get(row["tier"], row["tier"]), phone=row["phone"] or "", channel=CHANNELS.get(row["channel"], row["channel"] or ""),
            referred_on=row["business_day"], referrer=names.get(row["referrer"], row["referrer"]), reasons=reasons,
            note=" / ".join(n for n in (row["note"], row["outcome_note"]) if n),
        ))
    return out


def write_csv(items: list[FollowUp], path: Path) -> None:
    with path.open("w", newline="", encoding="utf-8-sig") as out:  # Excel opens UTF-8 with a BOM
        writer = csv.writer(out)
        writer.writerow(COLUMNS)
        for item in items:
            writer.writerow([getattr(item, column) if column != "overdue" else ("yes" if item.overdue else "") for column in COLUMNS])


def html_page(items: list[FollowUp], config: BranchConfig, day: date) -> str:
    e = html.escape
    by_rm: dict[str, list[FollowUp]] = {}
    for item in items:
        by_rm.setdefault(item.rm, []).append(item)
    sections = []
    for rm, entries in by_rm.items():
        rows = "".join(
            f"<tr class=\"{'overdue' if i.overdue else ''}\"><td>{e(str(i.due))}{' ⚠ 已逾期 overdue' if i.overdue else ''}</td>"
            f"<td>{e(i.customer_name)}</td><td>{e(i.tier)}</td><td>{e(i.phone)}</td><td>{e(i.channel)}</td>"
            f"<td>{e(i.referred_on)}</td><td>{e(i.referrer)}</td><td>{e(i.reasons)}</td><td>{e(i.note)}</td></tr>"
            for i in entries
        )
        sections.append(
            f"<h2>{e(entries[0].rm_name)} <small>({e(rm)}) · {len(entries)}</small></h2><table><thead><tr>"
            "<th>跟进日期 Due</th><th>客户称呼 Customer</th><th>层级 Tier</th><th>电话 Phone</th><th>方式 Channel</th>"
            "<th>转介日期 Referred</th><th>推荐人 Referrer</th><th>转介理由 Reasons</th><th>备注 Notes</th></tr></thead>"
            f"<tbody>{rows}</tbody></table>"
        )
    body = "".join(sections) or "<p>没有待跟进的客户 · No open follow-ups.</p>"
    return f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<title>待跟进客户名单 {e(str(day))} · {e(config.branch.name)}</title>
<style>
body {{ font-family: "WenQuanYi Micro Hei", "Noto Sans CJK SC", sans-serif; margin: 24px; color: #14213d; }}
h1 {{ font-size: 22px; margin: 0 0 4px; }} h2 {{ font-size: 17px; margin: 22px 0 6px; }} small {{ color: #6c757d; font-weight: normal; }}
table {{ border-collapse: collapse; width: 100%; font-size: 13px; }} th, td {{ border: 1px solid #ccd; padding: 5px 7px; text-align: left; vertical-align: top; }}
th {{ background: #f1f3f8; }} tr.overdue td:first-child {{ color: #b3121f; font-weight: bold; }}
.meta {{ color: #6c757d; }} @media print {{ body {{ margin: 0; }} h2 {{ break-after: avoid; }} }}
</style></head><body>
<h1>待跟进客户名单 · Follow-up list</h1>
<p class="meta">{e(config.branch.name)} {e(config.branch.name_en)} · {e(str(day))} · {len(items)} 位客户 customers ·
内含客户同意留下的联系方式，请妥善保管 · contains contact details customers agreed to give: keep it safe</p>
{body}
</body></html>
"""


def make_followups(config: BranchConfig, store: Store, day: date, out_dir: Path) -> tuple[Path, Path, int]:
    out_dir.mkdir(parents=True, exist_ok=True)
    items = follow_ups(config, store, day)
    html_path, csv_path = out_dir / f"followups-{day}.html", out_dir / f"followups-{day}.csv"
    html_path.write_text(html_page(items, config, day), encoding="utf-8")
    write_csv(items, csv_path)
    return html_path, csv_path, len(items)
