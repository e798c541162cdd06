"""Every sentence the customer reads on the kiosk, in Chinese and English.

One table, so a translator (or the bank's copywriter) edits one file and the test can check
that no key is missing a language. Placeholders use `str.format` names.
"""

from __future__ import annotations

LANGS = ("zh", "en")

TEXTS: dict[str, tuple[str, str]] = {
    # ---- on every screen -----------------------------------------------------------------
    "switch_lang": ("English", "中文"),
    "elder_on": ("长辈模式", "Large text"),
    "elder_off": ("标准模式", "Standard text"),
    "done": ("完成", "Done"),
    "back": ("返回首页", "Back to start"),
    "busy_ticket": ("正在为您取号…", "Getting your ticket…"),
    "busy_identify": ("正在识别您的银行卡…", "Reading your card…"),
    "busy_one_moment": ("请稍候，仍在为您取号…", "One moment, please: still getting your ticket…"),
    # ---- home ----------------------------------------------------------------------------
    "home_title": ("您好，请选择业务", "Welcome. Please choose a service"),
    "swipe_title": ("刷银行卡，享专属服务", "Swipe your bank card for personal service"),
    "swipe_hint": ("请在屏幕下方的读卡器刷卡", "Use the card reader below the screen"),
    "waiting_none": ("无需等候", "No queue"),
    "waiting_eta": ("{waiting} 人等候 · 约 {minutes} 分钟", "{waiting} waiting · about {minutes} min"),
    "waiting_closed": ("{waiting} 人等候 · 窗口暂未开放", "{waiting} waiting · counters not open yet"),
    "waiting_unknown": ("正在获取排队人数", "Checking the queue"),
    "notice_unknown_card": (
        "这张卡暂未登记专属服务，请直接选择下方业务。",
        "We have no personal service on file for this card. Please choose a service below.",
    ),
    "notice_not_offered": (
        "该业务为贵宾客户专享。请选择其他业务，或咨询大堂经理。",
        "This service is for Premier customers. Please choose another service or ask the lobby manager.",
    ),
    "notice_refused": (
        "该业务暂时无法取号，请选择其他业务，或咨询大堂经理。",
        "We cannot issue a ticket for this service right now. Please choose another or ask the lobby manager.",
    ),
    "notice_closed": (
        "本网点现在不营业，暂停取号。欢迎在营业时间内光临，自助设备和手机银行可随时使用。",
        "The branch is closed now, so no tickets are issued. Please come back during opening hours; self-service and mobile banking are always open.",
    ),
    "notice_printer": (
        "号票暂时无法打印，取号后号码将显示在屏幕上。",
        "Tickets cannot be printed right now: your number will be shown on screen.",
    ),
    "more_services": ("更多业务", "More services"),
    # ---- appointments (预约签到) ----------------------------------------------------------
    "appointment_entry": ("我有预约", "I have an appointment"),
    "appointment_title": ("预约签到", "Appointment check-in"),
    "scan_prompt": ("请将手机上的预约二维码对准下方扫描窗口", "Hold the booking QR code on your phone to the scanner below"),
    "type_code": ("输入预约码", "Type the booking code"),
    "code_prompt": ("请输入6位预约码", "Enter your 6-digit booking code"),
    "code_delete": ("删除", "Delete"),
    "code_ok": ("确认", "OK"),
    "busy_check_in": ("正在核对您的预约…", "Checking your booking…"),
    "walk_in_instead": ("现在取普通号", "Take a walk-in ticket now"),
    "choose_walk_in": ("选择业务取普通号", "Choose a service for a walk-in ticket"),
    "too_early_title": ("您来早了", "You are early"),
    "too_early_body": (
        "您预约的时间是 {slot}，{opens} 起可以签到。您可以到时再来签到，也可以现在取普通号。",
        "Your booking is at {slot}; check-in opens at {opens}. Come back then, or take a walk-in ticket now.",
    ),
    "check_in_refused_title": ("无法签到", "We could not check you in"),
    "refused_unknown_booking": (
        "没有找到这个预约码。请核对后重新输入，或取普通号。",
        "We have no booking with this code today. Check it and try again, or take a walk-in ticket.",
    ),
    "refused_booking_not_yet_here": (
        "您的预约网点暂未收到，可能刚刚提交。请取普通号，或咨询大堂经理。",
        "Your booking has not reached the branch yet. Please take a walk-in ticket or ask the lobby manager.",
    ),
    "refused_booking_not_ours": (
        "这是其他网点的预约。请取普通号，或咨询大堂经理。",
        "This booking is for another branch. Please take a walk-in ticket or ask the lobby manager.",
    ),
    "refused_booking_forged": (
        "无法识别这个二维码。请出示手机上的预约二维码，或输入预约码。",
        "This code is not a booking pass. Show the booking QR code on your phone, or type the booking code.",
    ),
    "refused_booking_expired": ("这个预约已过期。请取普通号。", "This booking was for an earlier day. Please take a walk-in ticket."),
    "refused_booking_cancelled": ("这个预约已取消。请取普通号。", "This booking was cancelled. Please take a walk-in ticket."),
    "refused_booking_used": (
        "这个预约已经签到过，不能重复使用。如有疑问，请咨询大堂经理。",
        "This booking has already been used. Please ask the lobby manager if this is a mistake.",
    ),
    "refused_other": (
        "暂时无法签到。请取普通号，或咨询大堂经理。",
        "We cannot check you in right now. Please take a walk-in ticket or ask the lobby manager.",
    ),
    "booked_on_time": ("预约 {slot} · 已签到，到时优先叫号", "Booked for {slot}: checked in, called at your time"),
    "booked_checked_in": ("预约 {slot} · 已签到", "Booked for {slot}: checked in"),
    "booked_late": ("您已超过预约时间，已为您取普通号", "You came after your booking's time: this is a walk-in ticket"),
    "rm_told": ("您的客户经理已收到到店通知", "Your relationship manager knows you are here"),
    # ---- identified (a known card was swiped) ----------------------------------------------
    "card_number": ("银行卡尾号 {last4}", "Card ending {last4}"),
    "rm_will_know": ("取号后，我们会通知您的客户经理", "When you take a ticket, we will let your relationship manager know"),
    "card_prompt": ("请选择您要办理的业务", "Please choose a service"),
    "card_restricted": ("贵宾专享", "Premier"),
    "card_not_mine": ("不是我的卡，返回", "Not my card, go back"),
    # ---- diversion (二次分流) --------------------------------------------------------------
    "divert_title": ("{service}现在约需等候 {minutes} 分钟", "The wait for {service} is about {minutes} min"),
    "divert_body": (
        "这项业务在自助服务区或手机银行即可办理，无需排队，可为您节省约 {minutes} 分钟。",
        "You can do this at the self-service machines or in mobile banking with no queue, "
        "saving you about {minutes} minutes.",
    ),
    "divert_self_service": ("去自助服务区办理", "Use the self-service area"),
    "divert_mobile": ("用手机银行办理", "Use mobile banking"),
    "divert_ticket": ("我仍要取号", "I still want a ticket"),
    "diverted_self_service": (
        "请前往大厅的自助服务区。大堂经理随时可以协助您。",
        "Please go to the self-service area in the hall. The lobby manager is happy to help.",
    ),
    "diverted_mobile": (
        "请打开手机上的手机银行 App 办理。如需帮助，请咨询大堂经理。",
        "Please open the mobile banking app on your phone. The lobby manager is happy to help.",
    ),
    "diverted_title": ("谢谢您", "Thank you"),
    # ---- ticket ----------------------------------------------------------------------------
    "greeting": ("{name}您好", "Welcome, {name}"),
    "manager_alerted": ("您的客户经理已收到通知，将尽快为您服务", "Your relationship manager has been told you are here"),
    "your_number": ("您的号码", "Your number"),
    "ahead_none": ("您是下一位", "You are next"),
    "ahead_one": ("前面还有 1 位", "1 person ahead of you"),
    "ahead_many": ("前面还有 {ahead} 位", "{ahead} people ahead of you"),
    "wait_middle": ("预计等候约 {middle} 分钟（{low}–{high}）", "Estimated wait about {middle} min ({low}–{high})"),
    "wait_range": ("预计等候 {low}–{high} 分钟", "Estimated wait {low}–{high} min"),
    "wait_about": ("预计等候约 {high} 分钟", "Estimated wait about {high} min"),
    "wait_now": ("窗口空闲，马上为您叫号", "A counter is free: you are called now"),
    "wait_unknown": ("窗口开放后将按顺序叫号", "You will be called in turn once a counter opens"),
    "take_ticket": ("请在下方取走号票", "Please take your ticket below"),
    "listen": ("请留意叫号", "Please listen for your number"),
    # ---- printer failure -------------------------------------------------------------------
    "print_failed_title": ("号票未能打印", "Your ticket could not be printed"),
    "remember_number": ("请记住或拍下这个号码", "Please remember or photograph this number"),
    "printer_default": ("打印机暂时无法使用，工作人员已收到通知", "The printer is not available; staff have been told"),
    # ---- out of service --------------------------------------------------------------------
    "oos_title": ("暂停服务", "Temporarily out of service"),
    "oos_body": (
        "取号机正在重新连接，很快就会恢复。请稍候片刻，或咨询大堂经理。",
        "This ticket machine is reconnecting and will be back shortly. "
        "Please wait a moment or ask the lobby manager.",
    ),
    "oos_retrying": ("正在自动重试…", "Retrying automatically…"),
}


def text(key: str, lang: str, **values: object) -> str:
    """The sentence `key` in `lang` ("zh" or "en"), with its placeholders filled in."""
    sentence = TEXTS[key][LANGS.index(lang)]
    return sentence.format(**values) if values else sentence
