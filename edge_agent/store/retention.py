"""The store's daily close: statistics stay, what identifies a customer goes after the retention.

Tickets keep their service, tier, times and outcome forever (the reports need them); the
card token and the masked card number (and a referral's phone number) are erased once the ticket is older than
`[store] retention_days`. Remembered request answers older than two days are dropped too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from edge_agent.store.db import Store


@dataclass(frozen=True)
class CloseReport:
    erased_tickets: int
    forgotten_answers: int
    erased_contacts: int = 0


def close_day(store: Store, today: date, retention_days: int) -> CloseReport:
    cutoff = today - timedelta(days=retention_days)
    with store.write() as conn:
        erased = conn.execute(
            "UPDATE tickets SET customer_token = NULL, masked_pan = NULL "
            "WHERE business_day < ? AND (customer_token IS NOT NULL OR masked_pan IS NOT NULL)",
            (cutoff.isoformat(),),
        ).rowcount
        # A referral's contact and card token go with its ticket's (the phone was given for a
        # follow-up, not for keeps).
        contacts = conn.execute(
            "UPDATE referrals SET phone = NULL, customer_token = NULL "
            "WHERE business_day < ? AND (phone IS NOT NULL OR customer_token IS NOT NULL)",
            (cutoff.isoformat(),),
        ).rowcount
        # A complaint's contact too: given to resolve it, not for keeps.
        contacts += conn.execute(
            "UPDATE complaints SET contact = NULL WHERE business_day < ? AND contact IS NOT NULL", (cutoff.isoformat(),)
        ).rowcount
        forgotten = conn.execute("DELETE FROM transactions WHERE created_at < ?", ((today - timedelta(days=2)).isoformat(),)).rowcount
    return CloseReport(erased, forgotten, contacts)
