"""Every error code the agent answers with: the `code` beside the sentence in `response/<op>`.

Programs branch on the code, people read the sentence. This catalogue is the one list:
docs/mqtt.md documents each code and the pages' errors.js translates each one (both
checked by tests), and the agent cannot raise a code that is not here.
"""

from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    # The request itself could not be used.
    TOO_LARGE = "too_large"
    NOT_UTF8 = "not_utf8"
    BAD_JSON = "bad_json"
    NOT_AN_OBJECT = "not_an_object"
    INVALID = "invalid"
    UNKNOWN_OP = "unknown_op"
    TRANSACTION_REUSED = "transaction_reused"
    INTERNAL = "internal"
    # The branch box cannot record anything: its disk is full or read-only.
    STORE_FULL = "store_full"
    STORE_READ_ONLY = "store_read_only"
    # The queue refused: nothing changed.
    UNKNOWN_SERVICE = "unknown_service"
    SERVICE_NOT_OFFERED = "service_not_offered"
    SERVICE_NOT_SERVED = "service_not_served"
    BRANCH_CLOSED = "branch_closed"
    UNKNOWN_COUNTER = "unknown_counter"
    COUNTER_CLOSED = "counter_closed"
    COUNTER_BUSY = "counter_busy"
    COUNTER_ALREADY_OPEN = "counter_already_open"
    COUNTER_ALREADY_CLOSED = "counter_already_closed"
    QUEUE_EMPTY = "queue_empty"
    NOTHING_TO_RECALL = "nothing_to_recall"
    NOTHING_TO_COMPLETE = "nothing_to_complete"
    NOTHING_TO_MARK_NO_SHOW = "nothing_to_mark_no_show"
    NOTHING_TO_TRANSFER = "nothing_to_transfer"
    NOT_CALLED = "not_called"
    SAME_SERVICE = "same_service"
    STALE_TICKET = "stale_ticket"
    UNKNOWN_TICKET = "unknown_ticket"
    UNKNOWN_ALERT = "unknown_alert"
    ALERT_ALREADY_ACKNOWLEDGED = "alert_already_acknowledged"
    # Staff sign-in.
    SIGN_IN_REQUIRED = "sign_in_required"
    SIGN_IN_REFUSED = "sign_in_refused"
    STAFF_LOCKED = "staff_locked"
    SIGNED_OUT = "signed_out"
    WRONG_ROLE = "wrong_role"
    WRONG_COUNTER = "wrong_counter"
    # Referrals and prospects.
    UNKNOWN_TRIGGER = "unknown_trigger"
    UNKNOWN_RM = "unknown_rm"
    TICKET_FINISHED = "ticket_finished"
    ALREADY_REFERRED = "already_referred"
    UNKNOWN_REFERRAL = "unknown_referral"
    NOT_YOUR_REFERRAL = "not_your_referral"
    REFERRAL_TAKEN = "referral_taken"
    REFERRAL_NOT_ACCEPTED = "referral_not_accepted"
    OUTCOME_ALREADY_RECORDED = "outcome_already_recorded"
    OUTCOME_INCOMPLETE = "outcome_incomplete"
    CONSENT_REQUIRED = "consent_required"
    NO_CARD = "no_card"
    ALREADY_VIP = "already_vip"
    NOT_A_PROSPECT = "not_a_prospect"
    # Promotions.
    BAD_IMAGE = "bad_image"
    IMAGE_TOO_LARGE = "image_too_large"
    BAD_DATES = "bad_dates"
    TOO_MANY_PROMOTIONS = "too_many_promotions"
    UNKNOWN_PROMOTION = "unknown_promotion"
    # Ratings.
    UNKNOWN_PROMPT = "unknown_prompt"
    PROMPT_CLOSED = "prompt_closed"
    SCORE_OUT_OF_RANGE = "score_out_of_range"
    UNKNOWN_REASON = "unknown_reason"
    # Service alerts and complaints.
    UNKNOWN_SERVICE_ALERT = "unknown_service_alert"
    SERVICE_ALERT_ALREADY_ACKNOWLEDGED = "service_alert_already_acknowledged"
    UNKNOWN_CATEGORY = "unknown_category"
    UNKNOWN_COMPLAINT = "unknown_complaint"
    COMPLAINT_CLOSED = "complaint_closed"
    COMPLAINT_STEP_REFUSED = "complaint_step_refused"
    # Appointments: a check-in at the kiosk that gives no appointment ticket.
    UNKNOWN_BOOKING = "unknown_booking"
    BOOKING_NOT_YET_HERE = "booking_not_yet_here"
    BOOKING_NOT_OURS = "booking_not_ours"
    BOOKING_FORGED = "booking_forged"
    BOOKING_EXPIRED = "booking_expired"
    BOOKING_CANCELLED = "booking_cancelled"
    BOOKING_USED = "booking_used"
    BOOKINGS_NEVER_SYNCED = "bookings_never_synced"
    TOO_EARLY = "too_early"
