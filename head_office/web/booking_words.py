"""The booking pages in Chinese and English, by the phone's language or `?lang=`."""

from __future__ import annotations

from dataclasses import dataclass, field

from starlette.requests import Request

from head_office.web.phone_words import language


@dataclass(frozen=True)
class BookingWords:
    lang: str
    other_lang: str
    other_lang_name: str
    title: str
    branch: str
    service: str
    day: str
    slot: str
    left: str  # "{n}" places left
    full: str
    no_slots: str
    no_branches: str
    phone: str
    consent: str
    book: str
    change: str
    booked: str
    code: str
    show_qr: str  # show the QR at the kiosk, or type the code
    window: str  # "{early}" / "{late}"
    cancel: str
    cancelled: str
    checked_in: str
    late: str
    no_show: str
    refused_title: str
    weekdays: tuple[str, ...]
    refused: dict[str, str] = field(default_factory=dict)


ZH = BookingWords(
    lang="zh", other_lang="en", other_lang_name="English", title="网点预约取号", branch="选择网点", service="选择业务",
    day="选择日期", slot="选择时段", left="剩余 {n} 个", full="已约满", no_slots="这一天没有可预约的时段，请换一天。",
    no_branches="暂无可预约的网点。", phone="手机号码", consent="我同意银行保存我的手机号码，仅用于本次预约及爽约统计。",
    book="确认预约", change="重新选择", booked="预约成功", code="预约码",
    show_qr="到网点后，请在取号机上选择“我有预约”，扫描此二维码或输入预约码。",
    window="请于预约时间前 {early} 分钟至后 {late} 分钟内签到。", cancel="取消预约", cancelled="此预约已取消。",
    checked_in="您已签到，请留意叫号。", late="您已逾时签到，已按普通号办理。", no_show="您未在预约时段到店，此预约已失效。",
    refused_title="无法预约", weekdays=("周一", "周二", "周三", "周四", "周五", "周六", "周日"),
    refused={
        "bad_phone": "请输入11位手机号码。", "consent_required": "需要您同意保存手机号码才能预约。",
        "no_such_slot": "该时段不可预约，请重新选择。", "slot_full": "该时段已约满，请选择其他时段。",
        "banned": "您近期多次预约未到，暂时不能预约。", "already_booked": "您当天在该网点已有预约。",
        "not_offered": "该网点不提供此业务的预约。", "not_found": "找不到此预约。",
        "already_cancelled": "此预约已取消。", "already_used": "您已签到，无法取消预约。",
        "too_late_to_cancel": "预约时段已开始，无法取消。",
    },
)

EN = BookingWords(
    lang="en", other_lang="zh", other_lang_name="中文", title="Book a visit", branch="Choose a branch", service="Choose a service",
    day="Choose a day", slot="Choose a time", left="{n} left", full="Full", no_slots="No times to book that day: try another.",
    no_branches="No branch takes bookings yet.", phone="Mobile number",
    consent="I agree that the bank keeps my number for this booking and for counting missed bookings.",
    book="Book", change="Start again", booked="You are booked", code="Booking code",
    show_qr="At the branch, tap “I have an appointment” on the ticket machine and scan this code, or type the number.",
    window="Check in from {early} minutes before your time to {late} minutes after it.", cancel="Cancel booking",
    cancelled="This booking is cancelled.", checked_in="You have checked in: listen for your number.",
    late="You checked in late, so you were given a walk-in ticket.", no_show="You did not come in your time; this booking has lapsed.",
    refused_title="Not booked", weekdays=("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
    refused={
        "bad_phone": "Give an 11-digit mobile number.", "consent_required": "We need your consent to keep your number.",
        "no_such_slot": "That time cannot be booked: choose again.", "slot_full": "That time is fully booked: choose another.",
        "banned": "You missed several bookings recently, so you cannot book for a while.",
        "already_booked": "You already have a booking at this branch that day.",
        "not_offered": "This branch does not take bookings for that service.", "not_found": "There is no such booking.",
        "already_cancelled": "This booking is already cancelled.", "already_used": "You have checked in, so it cannot be cancelled.",
        "too_late_to_cancel": "Your time has begun: it can no longer be cancelled.",
    },
)


def for_request(request: Request) -> BookingWords:
    return EN if language(request) == "en" else ZH
