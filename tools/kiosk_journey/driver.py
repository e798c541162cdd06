"""Driving the real kiosk from a script: a finger on the glass and a card in the reader.

`run_script(app, script)` runs the app with `script(driver)` on a helper thread. The
`KioskDriver` taps widgets with touch events dispatched through Kivy's input pipeline
(as a touchscreen's would be), waits for screens, and saves PNGs rendered through the GL
pipeline (Mesa's llvmpipe when headless). `SwipePort` is a serial card reader's line on a
pseudo-terminal: the kiosk opens it like /dev/ttyUSB0 and parses what is written to it.
The journey of `make demo`, the tests and the bench all drive the kiosk this way.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

from lobby.config import BranchConfig
from lobby.device_settings import CardReaderSettings

log = logging.getLogger(__name__)


class JourneyError(Exception):
    """A scripted step did not happen; the message says which and what was on screen."""


# ---- a card reader on a pseudo-terminal ----------------------------------------------------------


class SwipePort:
    """A serial card reader's line as a pty: the kiosk opens the slave like any /dev/ttyUSB0."""

    def __init__(self) -> None:
        self.master, self.slave = os.openpty()
        self.device = os.ttyname(self.slave)

    def swipe(self, line: str) -> None:
        os.write(self.master, line.encode("ascii") + b"\r\n")

    def close(self) -> None:
        os.close(self.master)
        os.close(self.slave)


def with_serial_reader(config: BranchConfig, device: str) -> BranchConfig:
    reader = CardReaderSettings(kind="serial", device=device, baudrate=9600)
    return config.model_copy(update={"kiosk": config.kiosk.model_copy(update={"card_reader": reader})})


def track_line(pan: str, name: str) -> str:
    """What a magstripe reader sends for a test card: track 1 and track 2, one line."""
    return f"%B{pan}^{name}^2812101000000000000?;{pan}=28121010000000000000?"


# ---- the finger -------------------------------------------------------------------------------------


def _touch_class():
    # Built on first use: importing Kivy at module level would fix its settings before
    # run_journey() has prepared them.
    from kivy.input.motionevent import MotionEvent

    class ScriptedTouch(MotionEvent):
        """A finger on the glass, dispatched through Kivy's input pipeline like the real one."""

        def __init__(self, x: float, y: float):
            from kivy.base import EventLoop

            self.eventloop = EventLoop
            window = EventLoop.window
            super().__init__("ScriptedTouch", 1, {"x": x / (window.width - 1.0), "y": y / (window.height - 1.0)}, is_touch=True, type_id="touch")
            self.profile = ["pos"]

        def depack(self, args):
            self.sx, self.sy = args["x"], args["y"]
            super().depack(args)

    return ScriptedTouch


def tappable(widget) -> list:
    """`widget` and everything under it that reacts to a tap, in reading order (UI thread only)."""
    from kivy.uix.behaviors import ButtonBehavior

    found = [widget] if isinstance(widget, ButtonBehavior) else []
    for child in reversed(widget.children):
        found.extend(tappable(child))
    return found


class KioskDriver:
    def __init__(self, app, out_dir: Path | None = None):
        self.app = app
        self.out_dir = out_dir
        self.shots: list[Path] = []
        self._touch = _touch_class()

    def ui(self, function: Callable, timeout: float = 10):
        """Run `function` on Kivy's thread and return its result."""
        from kivy.clock import Clock

        done, box = threading.Event(), {}

        def run(_dt):
            try:
                box["value"] = function()
            except BaseException as exc:  # handed back to the script's thread
                box["error"] = exc
            done.set()

        Clock.schedule_once(run, 0)
        if not done.wait(timeout):
            raise JourneyError(f"the kiosk's UI thread did not answer within {timeout:.0f} s")
        if "error" in box:
            raise box["error"]
        return box.get("value")

    def settle(self) -> None:
        """Let Kivy lay out and draw what just changed."""
        for _ in range(3):
            self.ui(lambda: None)
            time.sleep(0.03)

    def screen(self) -> str:
        return self.ui(lambda: self.app.sm.current)

    def wait_for(self, predicate: Callable[[], bool], what: str, timeout: float = 15) -> None:
        deadline = time.monotonic() + timeout
        while not self.ui(predicate):
            if time.monotonic() > deadline:
                raise JourneyError(f"waited {timeout:.0f} s for {what}; the kiosk shows '{self.screen()}'")
            time.sleep(0.05)

    def wait_screen(self, name: str, timeout: float = 15) -> None:
        self.wait_for(lambda: self.app.sm.current == name and not self.app.state.busy, f"the {name} screen", timeout)
        self.settle()

    # ---- taps ------------------------------------------------------------------------------

    def buttons(self) -> list:
        """Every tappable widget on the current screen, in reading order."""
        return self.ui(lambda: tappable(self.app.sm.current_screen))

    def tap(self, widget, lifting: Callable[[], None] | None = None) -> None:
        """Touch the middle of `widget` and lift. `lifting` runs (UI thread) just before the lift."""

        def press():
            x, y = widget.to_window(*widget.center)
            touch = self._touch(x, y)
            touch.eventloop.post_dispatch_input("begin", touch)
            if lifting is not None:
                lifting()
            touch.eventloop.post_dispatch_input("end", touch)

        self.ui(press)
        self.settle()

    def tap_text(self, label: str) -> None:
        matches = [b for b in self.buttons() if getattr(b, "text", None) == label]
        if not matches:
            shown = [getattr(b, "text", None) or getattr(getattr(b, "offer", None), "id", "?") for b in self.buttons()]
            raise JourneyError(f"no button '{label}' on the {self.screen()} screen (buttons: {shown})")
        self.tap(matches[0])

    def tap_service(self, service_id: str, lifting: Callable[[], None] | None = None) -> None:
        """Tap the service's button; in 长辈模式, turning "more services" until it shows, as a customer would."""
        from kiosk.screens.widgets import MoreButton

        for _ in range(10):
            matches = [b for b in self.buttons() if getattr(getattr(b, "offer", None), "id", None) == service_id]
            if matches:
                self.tap(matches[0], lifting)
                return
            more = [b for b in self.buttons() if isinstance(b, MoreButton)]
            if not more:
                break
            self.tap(more[0])
        raise JourneyError(f"no '{service_id}' service button on the {self.screen()} screen")

    def text(self, key: str) -> str:
        """A sentence in the language the kiosk shows right now."""
        from kiosk.texts import text

        return text(key, self.ui(lambda: self.app.state.lang))

    # ---- pictures --------------------------------------------------------------------------

    def shot(self, name: str) -> Path:
        if self.out_dir is None:
            raise JourneyError("no folder for screenshots")
        self.settle()
        path = self.out_dir / f"{name}.png"
        self.ui(lambda: self.app.root.export_to_png(str(path)))
        self.shots.append(path)
        log.info("screenshot %s", path)
        return path


def run_script(app, script: Callable[[KioskDriver], None], out_dir: Path | None = None) -> KioskDriver:
    """Run the app with `script` driving it from a helper thread; stop when the script ends."""
    from kivy.clock import Clock

    driver = KioskDriver(app, out_dir)
    failure: list[BaseException] = []

    def drive() -> None:
        try:
            script(driver)
        except BaseException as exc:
            failure.append(exc)
        finally:
            Clock.schedule_once(lambda _dt: app.stop(), 0)

    app.bind(on_start=lambda *_: threading.Thread(target=drive, name="kiosk-script", daemon=True).start())
    app.run()
    if failure:
        raise failure[0]
    return driver
