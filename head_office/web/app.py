"""`head-office serve`: the network view for head-office staff and the customer's ticket page.

Starlette under uvicorn. The endpoints are plain functions (Starlette runs them in its thread
pool) over a psycopg connection pool, so the read models in head_office/ stay ordinary
synchronous code. Every process is alike and keeps nothing between requests (a session is a
row), so a load balancer may send any request to any of them.

Staff pages (signed in): /network, /branch/<id>, /fleet, /report (and /report.csv).
Public: /t/<token> (the ticket's QR code) and /t/<token>/status (what that page polls);
/book, /a/<token> and /api/v1/ (booking a visit: web/booking_pages.py).
/healthz: the load balancer's check (the database answers).
"""

from __future__ import annotations

import html
import logging
from collections.abc import Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import psycopg
from psycopg_pool import ConnectionPool, PoolTimeout
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from head_office import accounts, network
from head_office.config import HeadOfficeConfig
from head_office.daily_report import as_csv, daily_report
from head_office.db import events as stored_events
from head_office.db import schema
from head_office.db.schema import migrate
from head_office.problems import first_line
from head_office.ticket_status import events_since, ticket_status
from head_office.web import phone_words
from head_office.web.booking_pages import BookingPages
from lobby.ticket_link import LinkRefused, TicketClaim, verify

log = logging.getLogger(__name__)
logging.getLogger("psycopg.pool").setLevel(logging.ERROR)

HERE = Path(__file__).resolve().parent
COOKIE = "lobby_hq_session"
# Apache ECharts, pinned in package.json: the repository's node_modules, or where an install copies it.
ECHARTS_CANDIDATES = (
    HERE.parents[1] / "node_modules" / "echarts" / "dist" / "echarts.min.js",
    Path("/opt/lobby-hq/node_modules/echarts/dist/echarts.min.js"),
)
HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; object-src 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    # The ticket page's address is the ticket's key: it must never leave in a Referer.
    "Referrer-Policy": "no-referrer",
}
HTTP_OF_REFUSAL = {"malformed": 404, "forged": 404, "unknown_branch": 404, "expired": 410}


class SecurityHeaders(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        response.headers.update(HEADERS)
        return response


class DatabaseDown(Exception):
    """PostgreSQL did not answer: every page says so in a sentence, with 503."""


class HeadOfficeSite:
    def __init__(self, config: HeadOfficeConfig):
        self.config = config
        self.web = config.web
        self.pool = ConnectionPool(
            config.database.conninfo, min_size=1, max_size=config.database.pool_max, open=False,
            kwargs={"autocommit": True, "connect_timeout": int(config.database.connect_timeout_s)},
            check=ConnectionPool.check_connection, name="head-office-web",
        )
        self.templates = Jinja2Templates(directory=HERE / "templates")
        zone = self.web.zone
        self.templates.env.filters["local"] = lambda t, fmt="%m-%d %H:%M": t.astimezone(zone).strftime(fmt) if t else "—"
        self.templates.env.filters["minutes"] = lambda s: "—" if s is None else f"{s / 60:.1f}"
        self.templates.env.filters["share"] = lambda v: "—" if v is None else f"{v:.0%}"
        self._migrated = False

    # ---- plumbing ---------------------------------------------------------------------------

    @contextmanager
    def connection(self) -> Iterator[psycopg.Connection]:
        """A pooled connection with the schema up to date; DatabaseDown when there is none."""
        try:
            with self.pool.connection(timeout=self.config.database.connect_timeout_s) as conn:
                if not self._migrated:
                    migrate(conn)
                    self._migrated = True
                yield conn
        except (psycopg.OperationalError, PoolTimeout) as problem:
            raise DatabaseDown(first_line(problem)) from None

    def now(self) -> datetime:
        return datetime.now(UTC)

    def user(self, request: Request) -> accounts.User | None:
        cookie = request.cookies.get(COOKIE)
        if not cookie:
            return None
        with self.connection() as conn:
            return accounts.session_user(conn, cookie, self.now())

    def staff_page(self, request: Request, page: str) -> accounts.User:
        user = self.user(request)
        if user is None:
            raise HTTPException(303, headers={"Location": f"/login?next={quote(request.url.path)}"})
        if not user.may(page):
            raise HTTPException(403, "Your role does not include this page.")
        return user

    def render(self, request: Request, template: str, status: int = 200, **context) -> HTMLResponse:
        return self.templates.TemplateResponse(request, template, context, status_code=status)

    # ---- sign-in ----------------------------------------------------------------------------

    def login_form(self, request: Request) -> Response:
        return self.render(request, "login.html", next=_safe_next(request.query_params.get("next")), failed=False, locked=None)

    async def login(self, request: Request) -> Response:
        form = await request.form()
        name, password = str(form.get("name", "")), str(form.get("password", ""))
        target = _safe_next(str(form.get("next", "")))
        cookie = await run_in_threadpool(self._sign_in, name, password)
        if isinstance(cookie, accounts.Locked):
            log.warning("sign-in for %r refused: locked after too many wrong passwords", name[:40])
            until = cookie.until.astimezone(self.web.zone).strftime("%H:%M")
            return self.render(request, "login.html", status=429, next=target, failed=False, locked=until)
        if cookie is None:
            log.info("sign-in refused for %r from %s", name[:40], request.client.host if request.client else "?")
            return self.render(request, "login.html", status=401, next=target, failed=True, locked=None)
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(
            COOKIE, cookie, max_age=int(self.web.session_hours * 3600), httponly=True, samesite="strict",
            secure=request.url.scheme == "https" or request.headers.get("x-forwarded-proto") == "https",
        )
        return response

    def _sign_in(self, name: str, password: str) -> str | accounts.Locked | None:
        with self.connection() as conn:
            return accounts.sign_in(conn, name, password, self.now(), timedelta(hours=self.web.session_hours))

    def logout(self, request: Request) -> Response:
        cookie = request.cookies.get(COOKIE)
        if cookie:
            with self.connection() as conn:
                accounts.sign_out(conn, cookie)
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(COOKIE)
        return response

    # ---- staff pages --------------------------------------------------------------------------

    def _lines(self, user: accounts.User, branch: str | None = None) -> list[network.BranchLine]:
        with self.connection() as conn:
            lines = network.load(conn, self.now(), self.web.stale_heartbeats, branch)
        return [line for line in lines.values() if user.sees_region(line.region if line.region != network.UNASSIGNED else None)]

    def network_view(self, request: Request) -> Response:
        user = self.staff_page(request, "network")
        lines = self._lines(user)
        regions = sorted({line.region for line in lines})
        region = request.query_params.get("region") or ""
        sort = request.query_params.get("sort") or "over_target"
        shown = [line for line in lines if not region or line.region == region]
        shown.sort(key=network.SORTS.get(sort, network.SORTS["over_target"]))
        return self.render(
            request, "network.html", user=user, lines=shown, regions=regions, region=region, sort=sort,
            unreachable=sum(1 for line in shown if not line.reachable), now=self.now(),
        )

    def branch_view(self, request: Request) -> Response:
        user = self.staff_page(request, "branch")
        lines = self._lines(user, request.path_params["branch"])
        if not lines:
            raise HTTPException(404, "No such branch, or not one of your region's.")
        return self.render(request, "branch.html", user=user, line=lines[0], now=self.now())

    def fleet_view(self, request: Request) -> Response:
        user = self.staff_page(request, "fleet")
        devices = [d for line in self._lines(user) for d in line.devices_in_trouble]
        devices.sort(key=lambda d: (d.since or self.now(), d.branch, d.device))
        return self.render(request, "fleet.html", user=user, devices=devices, now=self.now())

    def _report(self, request: Request):
        user = self.staff_page(request, "report")
        try:
            day = date.fromisoformat(request.query_params.get("day") or "")
        except ValueError:
            day = self.now().astimezone(self.web.zone).date()
        with self.connection() as conn:
            rows = daily_report(conn, day, self.web.zone, network.registry(conn), user.region_filter)
        return user, day, rows

    def report_view(self, request: Request) -> Response:
        user, day, rows = self._report(request)
        return self.render(request, "report.html", user=user, day=day, rows=rows,
                           previous=day - timedelta(days=1), following=day + timedelta(days=1))

    def report_csv(self, request: Request) -> Response:
        _, day, rows = self._report(request)
        return PlainTextResponse(as_csv(rows), media_type="text/csv; charset=utf-8",
                                 headers={"Content-Disposition": f'attachment; filename="lobby-report-{day}.csv"'})

    # ---- the customer's ticket ------------------------------------------------------------------

    def _claim(self, conn: psycopg.Connection, token: str) -> tuple[TicketClaim, network.BranchLine]:
        """The link's claim, checked with the key its branch published, and that branch as it is now."""
        lines: dict[str, network.BranchLine] = {}

        def branch_key(branch: str) -> str | None:
            lines.update(network.load(conn, self.now(), self.web.stale_heartbeats, branch))
            return lines[branch].link_key if branch in lines else None

        claim = verify(token, branch_key, self.now())
        return claim, lines[claim.branch]

    def ticket_page(self, request: Request) -> Response:
        words = phone_words.for_request(request)
        with self.connection() as conn:
            try:
                claim, _ = self._claim(conn, request.path_params["token"])
            except LinkRefused as refused:
                log.info("ticket page refused: %s", refused)
                return self.render(request, "refused.html", status=HTTP_OF_REFUSAL[refused.reason], words=words,
                                   why=words.refused[refused.reason])
        return self.render(request, "ticket.html", words=words, label=claim.label)

    def ticket_status(self, request: Request) -> Response:
        with self.connection() as conn:
            try:
                claim, line = self._claim(conn, request.path_params["token"])
            except LinkRefused as refused:
                return JSONResponse({"refused": refused.reason}, status_code=HTTP_OF_REFUSAL[refused.reason])
            events = stored_events.ticket_events(conn, claim.branch, claim.ticket_id, events_since(claim))
        status = ticket_status(claim, events, line)
        return JSONResponse(status.as_json(), headers={"Cache-Control": "no-store"})

    # ---- for the load balancer ------------------------------------------------------------------

    def healthz(self, request: Request) -> Response:
        with self.connection() as conn:
            schema.ping(conn)
        return PlainTextResponse("ok")

    def echarts(self, request: Request) -> Response:
        for candidate in ECHARTS_CANDIDATES:
            if candidate.exists():
                return FileResponse(candidate, media_type="text/javascript", headers={"Cache-Control": "max-age=86400"})
        raise HTTPException(404, "The chart library is not installed (npm ci).")


def _safe_next(target: str | None) -> str:
    """Only a path on this site: a sign-in must not bounce anyone elsewhere."""
    return target if target and target.startswith("/") and not target.startswith("//") else "/network"


def create_app(config: HeadOfficeConfig) -> Starlette:
    site = HeadOfficeSite(config)
    bookings = BookingPages(site)

    @asynccontextmanager
    async def lifespan(app: Starlette):
        site.pool.open(wait=False)
        yield
        site.pool.close()

    async def database_down(request: Request, exc: Exception) -> Response:
        log.warning("a page could not reach PostgreSQL: %s", exc)
        if request.url.path.endswith("/status"):
            return JSONResponse({"unavailable": True}, status_code=503)
        return HTMLResponse("<!doctype html><meta charset=utf-8><title>Unavailable</title>"
                            "<p>Head office's database does not answer right now. Try again in a minute.</p>"
                            "<p>总行数据库暂时无法访问，请稍后再试。</p>", status_code=503)

    async def http_problem(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if exc.status_code in (301, 302, 303, 307) and exc.headers:
            return RedirectResponse(exc.headers["Location"], status_code=exc.status_code)
        return HTMLResponse(f"<!doctype html><meta charset=utf-8><title>{exc.status_code}</title><p>{html.escape(exc.detail, quote=False)}</p>",
                            status_code=exc.status_code)

    routes = [
        Route("/", lambda request: RedirectResponse("/network", status_code=303)),
        Route("/login", site.login_form, methods=["GET"]),
        Route("/login", site.login, methods=["POST"]),
        Route("/logout", site.logout, methods=["POST"]),
        Route("/network", site.network_view),
        Route("/branch/{branch}", site.branch_view),
        Route("/fleet", site.fleet_view),
        Route("/report", site.report_view),
        Route("/report.csv", site.report_csv),
        Route("/t/{token}", site.ticket_page),
        Route("/t/{token}/status", site.ticket_status),
        Route("/book", bookings.book_form, methods=["GET"]),
        Route("/book", bookings.book, methods=["POST"]),
        Route("/a/{token}", bookings.pass_page),
        Route("/a/{token}/cancel", bookings.cancel, methods=["POST"]),
        Route("/api/v1/branches", bookings.api_branches),
        Route("/api/v1/slots", bookings.api_slots),
        Route("/api/v1/bookings", bookings.api_book, methods=["POST"]),
        Route("/api/v1/bookings/{token}", bookings.api_booking),
        Route("/api/v1/bookings/{token}/cancel", bookings.api_cancel, methods=["POST"]),
        Route("/healthz", site.healthz),
        Route("/favicon.ico", lambda request: Response(status_code=204)),  # browsers ask; a 404 would be noise
        Route("/vendor/echarts.min.js", site.echarts),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    return Starlette(
        routes=routes, lifespan=lifespan, middleware=[Middleware(SecurityHeaders)],
        exception_handlers={DatabaseDown: database_down, HTTPException: http_problem},
    )
