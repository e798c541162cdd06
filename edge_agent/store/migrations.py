"""Schema migrations, applied in order; `PRAGMA user_version` records how far a store got.

Never edit a migration that has shipped: add a new one.
"""

MIGRATIONS: list[list[str]] = [
    # 1: tickets and their lifecycle, counters, numbering, outbox, idempotency, customers, alerts.
    [
        """CREATE TABLE tickets (
            id TEXT PRIMARY KEY,                 -- business day + label, e.g. 20261123-A001
            business_day TEXT NOT NULL,          -- local date in the branch's zone
            label TEXT NOT NULL,                 -- what the customer holds: A001
            number INTEGER NOT NULL,
            service TEXT NOT NULL,               -- the queue it waits in now
            original_service TEXT NOT NULL,      -- the service it was issued for
            tier TEXT NOT NULL,
            state TEXT NOT NULL,                 -- waiting | called | served | no_show
            issued_at TEXT NOT NULL,
            queued_at TEXT NOT NULL,             -- orders it in its queue; kept across transfers
            counter TEXT,
            called_at TEXT,
            recalls INTEGER NOT NULL DEFAULT 0,
            transfers INTEGER NOT NULL DEFAULT 0,
            finished_at TEXT,
            customer_token TEXT,                 -- HMAC of the card number; erased after retention
            masked_pan TEXT,                     -- first 6 / last 4; erased after retention
            kiosk TEXT,
            lang TEXT,
            printed INTEGER,                     -- 1 printed, 0 failed, NULL not attempted yet
            UNIQUE (business_day, label)
        )""",
        "CREATE INDEX tickets_open ON tickets (state) WHERE state IN ('waiting', 'called')",
        "CREATE INDEX tickets_day ON tickets (business_day)",
        """CREATE TABLE ticket_events (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            ticket_id TEXT NOT NULL REFERENCES tickets(id),
            kind TEXT NOT NULL,                  -- issued | called | recalled | served | no_show | transferred
            at TEXT NOT NULL,
            counter TEXT,
            detail TEXT                          -- JSON
        )""",
        "CREATE INDEX ticket_events_ticket ON ticket_events (ticket_id)",
        """CREATE TABLE counters (
            id TEXT PRIMARY KEY,
            open INTEGER NOT NULL DEFAULT 0,
            serving TEXT,
            policy_state TEXT NOT NULL DEFAULT '{}',   -- JSON: e.g. the ratio profile's position
            updated_at TEXT
        )""",
        """CREATE TABLE day_numbers (
            business_day TEXT NOT NULL,
            service TEXT NOT NULL,
            last_number INTEGER NOT NULL,
            PRIMARY KEY (business_day, service)
        )""",
        """CREATE TABLE outbox (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,   -- publish order
            event_id TEXT NOT NULL UNIQUE,
            topic TEXT NOT NULL,                     -- under lobby/v1/<branch>/
            payload TEXT NOT NULL,
            created_at TEXT NOT NULL
        )""",
        """CREATE TABLE transactions (
            transaction_id TEXT PRIMARY KEY,
            op TEXT NOT NULL,
            response TEXT NOT NULL,                  -- JSON: the first answer, returned on retries
            created_at TEXT NOT NULL
        )""",
        """CREATE TABLE customers (
            token TEXT PRIMARY KEY,                  -- HMAC-SHA256 of the card number, never the number
            display_name TEXT NOT NULL,
            tier TEXT NOT NULL,
            rm TEXT NOT NULL DEFAULT '',
            imported_at TEXT NOT NULL
        )""",
        """CREATE TABLE alerts (
            alert_id TEXT PRIMARY KEY,
            ticket_id TEXT NOT NULL REFERENCES tickets(id),
            tier TEXT NOT NULL,
            raised_at TEXT NOT NULL,
            acked_at TEXT,
            acked_by TEXT,
            outcome TEXT                             -- greeted | referred | declined
        )""",
        """CREATE TABLE agent_log (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            at TEXT NOT NULL,
            kind TEXT NOT NULL,                      -- e.g. outbox_dropped
            detail TEXT NOT NULL
        )""",
    ],
    # 2: one row the agent rewrites to learn whether the store can still be written (a full
    # or read-only disk shows only on a write; SELECT 1 always succeeds).
    [
        "CREATE TABLE store_probe (id INTEGER PRIMARY KEY CHECK (id = 1), at TEXT NOT NULL)",
    ],
    # 3: events the broker acknowledged, kept for `replay` ([mqtt] replay_hours): the
    # broker's own copy for an offline subscriber can be lost (a crash between its saves).
    [
        """CREATE TABLE event_log (
            seq INTEGER PRIMARY KEY,                 -- the outbox's seq, moved here on delivery
            event_id TEXT NOT NULL,
            topic TEXT NOT NULL,
            payload TEXT NOT NULL,
            created_at TEXT NOT NULL
        )""",
        "CREATE INDEX event_log_created ON event_log (created_at)",
    ],
    # 4: staff as people (识别转介): the roster, sign-ins, referrals, prospects, promotions.
    [
        """CREATE TABLE staff (
            staff_id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            role TEXT NOT NULL,                      -- teller | manager | rm | head
            pin_hash TEXT NOT NULL,                  -- scrypt; the PIN itself is never stored
            active INTEGER NOT NULL DEFAULT 1,       -- 0: left the roster at the last import
            pin_failures INTEGER NOT NULL DEFAULT 0, -- wrong PINs in a row
            locked_until TEXT,
            imported_at TEXT NOT NULL
        )""",
        """CREATE TABLE staff_sessions (
            ref TEXT PRIMARY KEY,                    -- public name of the sign-in (staff/state)
            token_hash TEXT NOT NULL UNIQUE,         -- SHA-256 of the secret the page holds
            staff_id TEXT NOT NULL REFERENCES staff(staff_id),
            page TEXT NOT NULL,                      -- teller | manager | rm
            counter TEXT,
            signed_in_at TEXT NOT NULL,
            last_seen_at TEXT NOT NULL,
            ended_at TEXT,
            end_reason TEXT                          -- signed_out | idle | replaced | left_roster
        )""",
        "CREATE INDEX staff_sessions_live ON staff_sessions (staff_id) WHERE ended_at IS NULL",
        """CREATE TABLE referrals (
            referral_id TEXT PRIMARY KEY,
            business_day TEXT NOT NULL,
            created_at TEXT NOT NULL,
            source TEXT NOT NULL,                    -- counter | vip_alert
            ticket_id TEXT REFERENCES tickets(id),
            alert_id TEXT UNIQUE,
            customer_token TEXT,                     -- erased with the ticket's after retention
            customer_name TEXT NOT NULL,
            tier TEXT NOT NULL,
            triggers TEXT NOT NULL,                  -- JSON list of trigger codes
            note TEXT NOT NULL,
            referrer TEXT NOT NULL,                  -- staff id
            destination TEXT NOT NULL,               -- rm | vip_room
            to_rm TEXT,                              -- staff id; NULL: the RM pool
            state TEXT NOT NULL,                     -- open | accepted | converted | follow_up | declined
            accepted_by TEXT,
            accepted_at TEXT,
            outcome_at TEXT,
            product TEXT,
            follow_up_on TEXT,
            channel TEXT,
            phone TEXT,                              -- only with consent; erased after retention
            meets_criteria INTEGER,
            outcome_note TEXT
        )""",
        "CREATE INDEX referrals_day ON referrals (business_day)",
        "CREATE INDEX referrals_follow_up ON referrals (state) WHERE state = 'follow_up'",
        """CREATE TABLE prospects (
            token TEXT PRIMARY KEY,                  -- the card's HMAC token
            customer_name TEXT NOT NULL,
            reason TEXT NOT NULL,
            marked_by TEXT NOT NULL,
            marked_at TEXT NOT NULL
        )""",
        """CREATE TABLE promotions (
            promotion_id TEXT PRIMARY KEY,
            title TEXT NOT NULL,
            text TEXT NOT NULL,
            image TEXT,                              -- data: URI, checked on the way in
            tiers TEXT NOT NULL,                     -- JSON list; empty: everyone
            starts_on TEXT NOT NULL,
            ends_on TEXT NOT NULL,
            source TEXT NOT NULL,                    -- tablet | file
            file_version TEXT,                       -- a dropped file's mtime and size, to notice changes
            published_by TEXT NOT NULL,
            published_at TEXT NOT NULL,
            withdrawn_at TEXT,
            withdrawn_by TEXT
        )""",
    ],
    # 5: the customer's voice: rating prompts and votes, refused votes, service alerts, complaints.
    [
        """CREATE TABLE rating_prompts (
            prompt_id TEXT PRIMARY KEY,
            ticket_id TEXT NOT NULL UNIQUE REFERENCES tickets(id),
            counter TEXT NOT NULL,
            staff_id TEXT,                           -- the teller who completed the ticket
            service TEXT NOT NULL,
            opened_at TEXT NOT NULL,
            closes_at TEXT NOT NULL,
            closed_at TEXT,
            close_reason TEXT,                       -- answered | next_call | timeout
            score INTEGER,
            reasons TEXT,                            -- JSON list of reason codes
            voted_at TEXT
        )""",
        "CREATE INDEX rating_prompts_open ON rating_prompts (counter) WHERE closed_at IS NULL",
        "CREATE INDEX rating_prompts_opened ON rating_prompts (opened_at)",
        """CREATE TABLE rating_refusals (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            at TEXT NOT NULL,
            counter TEXT NOT NULL,
            prompt_id TEXT,
            code TEXT NOT NULL                       -- the error code the vote got
        )""",
        """CREATE TABLE service_alerts (
            alert_id TEXT PRIMARY KEY,
            prompt_id TEXT NOT NULL REFERENCES rating_prompts(prompt_id),
            raised_at TEXT NOT NULL,
            acked_at TEXT,
            acked_by TEXT,
            note TEXT
        )""",
        """CREATE TABLE complaints (
            complaint_id TEXT PRIMARY KEY,
            business_day TEXT NOT NULL,
            opened_at TEXT NOT NULL,
            opened_by TEXT NOT NULL,
            category TEXT NOT NULL,
            said TEXT NOT NULL,
            ticket_id TEXT REFERENCES tickets(id),
            service_alert_id TEXT REFERENCES service_alerts(alert_id),
            contact TEXT,                            -- only with consent; erased after retention
            state TEXT NOT NULL,                     -- open | acknowledged | resolved | escalated
            resolve_by TEXT NOT NULL
        )""",
        "CREATE INDEX complaints_day ON complaints (business_day)",
        """CREATE TABLE complaint_steps (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            complaint_id TEXT NOT NULL REFERENCES complaints(complaint_id),
            at TEXT NOT NULL,
            by TEXT NOT NULL,
            state TEXT NOT NULL,                     -- the state the step led to
            note TEXT NOT NULL
        )""",
    ],
    # 6: the wait we promise: what the branch knew when each ticket was issued, what it
    # told the customer, and how long they really waited; the learned predictor trains on it.
    [
        """CREATE TABLE wait_situations (
            ticket_id TEXT PRIMARY KEY REFERENCES tickets(id),
            business_day TEXT NOT NULL,
            situation TEXT NOT NULL,                 -- JSON: edge_agent.queue.situation.WaitSituation
            predictor TEXT NOT NULL,                 -- which predictor answered
            eta_s REAL,                              -- what the customer was told (NULL: no counter open)
            eta_low_s REAL,
            eta_high_s REAL,
            waited_s REAL                            -- until the first call; NULL while waiting, or never called
        )""",
        "CREATE INDEX wait_situations_day ON wait_situations (business_day)",
    ],
    # 7: appointments (预约): the bookings head office sent, the ticket each was checked in for,
    # and why each call picked its ticket (cap, appointment, priority, first come).
    [
        "ALTER TABLE tickets ADD COLUMN appointment_at TEXT",
        "ALTER TABLE tickets ADD COLUMN call_rule TEXT",
        """CREATE TABLE appointments (
            business_day TEXT NOT NULL,              -- the slot's local date: a code is unique within its day
            code TEXT NOT NULL,
            service TEXT NOT NULL,
            slot_start TEXT NOT NULL,
            slot_minutes INTEGER NOT NULL,
            tier TEXT NOT NULL,
            rm TEXT,                                 -- the RM the customer booked with, if any
            customer_name TEXT NOT NULL,             -- how the RM and the kiosk greet them ("" when unknown)
            state TEXT NOT NULL,                     -- lobby.appointments.BookingState
            ticket_id TEXT REFERENCES tickets(id),   -- the ticket it was checked in for
            changed_at TEXT,                         -- when the branch last moved it (check-in, no-show)
            version INTEGER NOT NULL,                -- the sync that last wrote it
            PRIMARY KEY (business_day, code)
        )""",
        "CREATE INDEX appointments_open ON appointments (state, slot_start)",
        """CREATE TABLE appointment_sync (
            only_row INTEGER PRIMARY KEY CHECK (only_row = 1),
            version INTEGER NOT NULL,                -- the newest sync applied
            booking_key TEXT NOT NULL,               -- head office's public key for booking passes
            synced_at TEXT NOT NULL
        )""",
    ],
]
