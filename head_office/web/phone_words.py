"""The customer's ticket page in Chinese and English: the language the phone asks for
(`Accept-Language`), or the one the customer picked (`?lang=`)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from starlette.requests import Request


@dataclass(frozen=True)
class PhoneWords:
    lang: str
    other_lang: str
    other_lang_name: str
    title: str
    ticket: str
    service: str
    ahead: str  # "{n}" people before you
    you_are_next: str
    wait: str  # "{m}" minutes, "{lo}"-"{hi}"
    wait_unknown: str
    called: str  # "{counter}"
    served: str
    no_show: str
    expired: str
    unseen: str
    notify: str
    notify_on: str
    notify_refused: str
    keep_open: str
    refused_title: str
    refused: dict[str, str] = field(default_factory=dict)

    def script_words(self) -> dict:
        """What the page's script needs to say (everything but the refusals)."""
        words = asdict(self)
        words.pop("refused")
        return words


ZH = PhoneWords(
    lang="zh", other_lang="en", other_lang_name="English",
    title="我的排队号", ticket="排队号", service="业务",
    ahead="前面还有 {n} 位", you_are_next="下一位就是您，请留意叫号",
    wait="预计等候约 {m} 分钟（{lo}～{hi}）", wait_unknown="预计等候：待柜台开放后确定",
    called="请到{counter}号窗口", served="业务已办理完毕，感谢您的光临", no_show="您的号码已过号，如需办理请重新取号",
    expired="今天的营业已结束，此号码已失效",
    unseen="暂时无法获取网点的实时排队情况，以下为最后已知信息。请留意网点叫号。",
    notify="叫号时提醒我", notify_on="叫号时将提醒您（请保持本页打开）", notify_refused="浏览器不允许提醒；请保持本页打开并留意叫号",
    keep_open="本页会自动更新", refused_title="无法显示此排队号",
    refused={
        "malformed": "这个链接不是有效的排队号链接。请扫描小票上的二维码。",
        "forged": "这个链接无法验证，可能被修改过。请扫描小票上的二维码。",
        "unknown_branch": "暂时无法验证此网点的排队号。请留意网点叫号。",
        "expired": "此排队号已过期（营业日已结束）。",
    },
)

EN = PhoneWords(
    lang="en", other_lang="zh", other_lang_name="中文",
    title="My ticket", ticket="Ticket", service="Service",
    ahead="{n} people before you", you_are_next="You are next: listen for your number",
    wait="About {m} min ({lo}-{hi})", wait_unknown="Wait: once a counter opens",
    called="Please go to counter {counter}", served="You have been served. Thank you for coming.",
    no_show="Your number was called and missed. Please take a new ticket if you still need us.",
    expired="Today's business day is over; this ticket has expired.",
    unseen="We cannot see the branch right now. This is the last we heard; please listen for your number.",
    notify="Notify me when I am called", notify_on="You will be notified when called (keep this page open)",
    notify_refused="This browser does not allow notifications; keep this page open and listen for your number",
    keep_open="This page updates by itself", refused_title="This ticket cannot be shown",
    refused={
        "malformed": "This is not a ticket link. Please scan the QR code on your ticket.",
        "forged": "This link cannot be verified; it may have been changed. Please scan the QR code on your ticket.",
        "unknown_branch": "We cannot verify tickets of this branch right now. Please listen for your number.",
        "expired": "This ticket has expired: the business day is over.",
    },
)


def language(request: Request) -> str:
    """zh or en: the one the customer picked (`?lang=`), else the one the phone asks for."""
    chosen = request.query_params.get("lang")
    if chosen in ("zh", "en"):
        return chosen
    return "en" if request.headers.get("accept-language", "").lower().startswith("en") else "zh"


def for_request(request: Request) -> PhoneWords:
    return EN if language(request) == "en" else ZH
