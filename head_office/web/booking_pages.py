"""预约 on the web: the customer's booking pages and the bank app's JSON API.

Public, no account: a booking is made with a mobile number (with consent), and its pass
link (`/a/<token>`, signed by head office) is the customer's key to see or cancel it. The
bank's app may also book a customer's tier and RM, with its key in `X-App-Key`.

    GET  /book?branch=&service=&day=      choose, step by step (no script needed)
    POST /book                            book; then to the pass
    GET  /a/<token>                       the pass: code, QR, time, state; cancel
    POST /a/<token>/cancel
    GET  /api/v1/branches                 who takes bookings for what
    GET  /api/v1/slots?branch=&service=&day=
    POST /api/v1/bookings                 {branch, service, slot_start, phone, consent[, tier, rm, customer_name]}
    GET  /api/v1/bookings/<token>
    POST /api/v1/bookings/<token>/cancel
"""

from __future__ import annotations

import functools
import hmac
import io
import logging
from contextlib import AbstractContextManager
from datetime import date, datetime
from typing import Protocol

import psycopg
import qrcode
import qrcode.image.svg
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from head_office import network
from head_office.bookings import Booking, BookingDesk, BookingRefused
from head_office.config import HeadOfficeConfig, WebSection
from head_office.web import booking_words
from lobby.contract import Tier

log = logging.getLogger(__name__)

HTTP_OF_REASON = {"not_found": 404, "slot_full": 409, "already_cancelled": 409, "already_used": 409, "too_late_to_cancel": 409,
                  "already_booked": 409, "banned": 403}


class Site(Protocol):
    """What the booking pages need of head office's site (head_office/web/app.py)."""

    config: HeadOfficeConfig
    web: WebSection

    def now(self) -> datetime: ...

    def connection(self) -> AbstractContextManager[psycopg.Connection]: ...

    def render(self, request: Request, template: str, status: int = 200, **context) -> HTMLResponse: ...


class BookingForm(BaseModel):
    """The API's booking request."""

    model_config = ConfigDict(extra="forbid")

    branch: str = Field(max_length=64)
    service: str = Field(max_length=32)
    slot_start: AwareDatetime
    phone: str = Field(max_length=20)
    consent: bool
    tier: Tier = Tier.MASS
    rm: str | None = Field(None, pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")
    customer_name: str = Field("", max_length=40)


def qr_svg(text: str) -> str:
    """The pass as an inline SVG QR code (no image request: the page's CSP stays 'self')."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    out = io.BytesIO()
    image.save(out)
    return out.getvalue().decode().split("?>", 1)[-1]


class BookingPages:
    def __init__(self, site: Site):
        self.site = site
        key_file = site.config.bookings.app_key_file
        self._app_key = key_file.read_text(encoding="utf-8").strip() if key_file else None

    @functools.cached_property
    def desk(self) -> BookingDesk:
        """Made at the first booking request: the key is read (or made) only where bookings are taken."""
        return BookingDesk(self.site.config.bookings, self.site.web.zone)

    def _names(self, conn) -> dict[str, str]:
        return {branch: name for branch, (name, _) in network.registry(conn).items()}

    def _view(self, conn, booking: Booking) -> dict:
        """The booking as the pass page and the API show it: its branch's and service's names read for it alone."""
        name = network.registry(conn, booking.branch).get(booking.branch, (booking.branch, ""))[0]
        plans = {p.service: (p.name_zh, p.name_en) for p in self.desk.plans(conn, booking.branch)}
        zh, en = plans.get(booking.service, (booking.service, booking.service))
        return {
            "branch": booking.branch, "branch_name": name, "code": booking.code,
            "service": booking.service, "service_zh": zh, "service_en": en, "slot_start": booking.slot_start.isoformat(),
            "slot_minutes": booking.slot_minutes, "state": booking.state.value, "tier": booking.tier.value, "rm": booking.rm,
            "phone_masked": booking.phone_masked, "ticket": booking.ticket,
            "pass": self.desk.pass_token(booking), "link": self.desk.pass_link(booking),
        }

    # ---- the customer's pages -------------------------------------------------------------------

    def book_form(self, request: Request, refused: str | None = None, status: int = 200) -> Response:
        words = booking_words.for_request(request)
        params = request.query_params
        branch, service, day_text = params.get("branch"), params.get("service"), params.get("day")
        now = self.site.now()
        with self.site.connection() as conn:
            plans = self.desk.plans(conn)
            names = self._names(conn)
            branches = sorted({p.branch for p in plans}, key=lambda b: names.get(b, b))
            services = [p for p in plans if p.branch == branch]
            days = self.desk.days(now)
            day = _day(day_text) if day_text else None
            slots = self.desk.slots(conn, branch, service, day, now) if branch and service and day in days else []
        return self.site.render(
            request, "book.html", status=status, words=words, branches=branches, names=names, services=services, days=days,
            branch=branch, service=service, day=day, slots=slots, refused=words.refused.get(refused or "", None),
        )

    async def book(self, request: Request) -> Response:
        form = await request.form()
        words = booking_words.for_request(request)

        def attempt() -> Response:
            try:
                slot = datetime.fromisoformat(str(form.get("slot", "")))
                with self.site.connection() as conn:
                    booking = self.desk.book(
                        conn, str(form.get("branch", "")), str(form.get("service", "")), slot, str(form.get("phone", "")),
                        form.get("consent") == "yes", self.site.now(),
                    )
            except ValueError:
                return self.book_form(request, "no_such_slot", 400)
            except BookingRefused as refused:
                return self.book_form(request, refused.reason, HTTP_OF_REASON.get(refused.reason, 400))
            return RedirectResponse(f"/a/{self.desk.pass_token(booking)}?lang={words.lang}", status_code=303)

        return await run_in_threadpool(attempt)

    def pass_page(self, request: Request) -> Response:
        words = booking_words.for_request(request)
        with self.site.connection() as conn:
            try:
                booking = self.desk.by_pass(conn, request.path_params["token"], self.site.now())
            except BookingRefused as refused:
                return self.site.render(request, "booking_refused.html", status=404, words=words, why=words.refused[refused.reason])
            view = self._view(conn, booking)
        settings = self.site.config.bookings
        return self.site.render(
            request, "booking.html", words=words, booking=view, slot=booking.slot_start, qr=qr_svg(view["link"]),
            window=words.window.format(early=settings.check_in_early_min, late=settings.check_in_late_min),
            cancelled=request.query_params.get("refused"),
        )

    def cancel(self, request: Request) -> Response:
        words = booking_words.for_request(request)
        token = request.path_params["token"]
        with self.site.connection() as conn:
            try:
                self.desk.cancel(conn, token, self.site.now())
            except BookingRefused as refused:
                return RedirectResponse(f"/a/{token}?lang={words.lang}&refused={refused.reason}", status_code=303)
        return RedirectResponse(f"/a/{token}?lang={words.lang}", status_code=303)

    # ---- the bank app's API ------------------------------------------------------------------------

    def api_branches(self, request: Request) -> Response:
        with self.site.connection() as conn:
            names = self._names(conn)
            plans = self.desk.plans(conn)
        branches: dict[str, dict] = {}
        for plan in plans:
            entry = branches.setdefault(plan.branch, {"branch": plan.branch, "name": names.get(plan.branch, plan.branch), "services": []})
            entry["services"].append({"service": plan.service, "name_zh": plan.name_zh, "name_en": plan.name_en})
        return JSONResponse({"branches": list(branches.values()), "days": [d.isoformat() for d in self.desk.days(self.site.now())]})

    def api_slots(self, request: Request) -> Response:
        params = request.query_params
        day = _day(params.get("day", ""))
        if day is None:
            return _api_error("bad_request", "Give day as YYYY-MM-DD.", 400)
        with self.site.connection() as conn:
            try:
                slots = self.desk.slots(conn, params.get("branch", ""), params.get("service", ""), day, self.site.now())
            except BookingRefused as refused:
                return _api_error(refused.reason, refused.message, 404)
        return JSONResponse({"slots": [{"slot_start": s.start.isoformat(), "capacity": s.capacity, "left": s.left} for s in slots]})

    async def api_book(self, request: Request) -> Response:
        try:
            form = BookingForm.model_validate_json(await request.body())
        except ValidationError as problem:
            first = problem.errors(include_url=False)[0]
            return _api_error("bad_request", f"{'.'.join(map(str, first['loc'])) or 'body'}: {first['msg']}", 400)
        trusted = self._app_key is not None and hmac.compare_digest(request.headers.get("x-app-key", ""), self._app_key)
        if (form.tier is not Tier.MASS or form.rm) and not trusted:
            return _api_error("app_key_required", "Only the bank's app, with its key, may book a tier or an RM.", 403)

        def attempt() -> Response:
            with self.site.connection() as conn:
                try:
                    booking = self.desk.book(conn, form.branch, form.service, form.slot_start, form.phone, form.consent, self.site.now(),
                                             form.tier, form.rm, form.customer_name)
                except BookingRefused as refused:
                    return _api_error(refused.reason, refused.message, HTTP_OF_REASON.get(refused.reason, 400))
                return JSONResponse(self._view(conn, booking), status_code=201)

        return await run_in_threadpool(attempt)

    def api_booking(self, request: Request) -> Response:
        with self.site.connection() as conn:
            try:
                booking = self.desk.by_pass(conn, request.path_params["token"], self.site.now())
            except BookingRefused as refused:
                return _api_error(refused.reason, refused.message, 404)
            return JSONResponse(self._view(conn, booking))

    def api_cancel(self, request: Request) -> Response:
        with self.site.connection() as conn:
            try:
                booking = self.desk.cancel(conn, request.path_params["token"], self.site.now())
            except BookingRefused as refused:
                return _api_error(refused.reason, refused.message, HTTP_OF_REASON.get(refused.reason, 400))
            return JSONResponse(self._view(conn, booking))


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _api_error(reason: str, message: str, status: int) -> Response:
    return JSONResponse({"error": reason, "message": message}, status_code=status)
