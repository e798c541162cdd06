"""`kiosk --config PATH`: start the customer touchscreen.

Kivy reads its settings from the environment once, when it is first imported, so
`prepare_kivy_environment()` runs before anything imports Kivy (kiosk.touchscreen does).
Without a display (no DISPLAY or WAYLAND_DISPLAY) the kiosk renders offscreen through
SDL's offscreen driver and Mesa: real pixels, no window; that is how tests and
`make demo` on a server run it.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

from lobby.bus.client import BusError
from lobby.config import BranchConfig, ConfigError, KioskSection, load_config

log = logging.getLogger(__name__)


def has_display() -> bool:
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def prepare_kivy_environment(kiosk: KioskSection, fullscreen: bool, offscreen: bool | None = None) -> None:
    """Kivy's settings for a kiosk, as environment variables; explicit ones already set win."""
    if "kivy" in sys.modules:
        log.warning("Kivy was imported before its environment was prepared: window settings may be ignored")
    env = os.environ
    env.setdefault("KIVY_NO_ARGS", "1")  # the command line is ours (argparse), not Kivy's
    env.setdefault("KIVY_NO_FILELOG", "1")  # stderr goes to journald; no log files to fill the disk
    env.setdefault("KIVY_LOG_MODE", "PYTHON")  # Kivy logs through `logging` and leaves stderr alone
    env.setdefault("SDL_AUDIODRIVER", "dummy")  # the kiosk makes no sound: announcements are the agent's
    # Kivy neither reads nor writes a config.ini: every setting comes from branch.toml through
    # the KCFG_ variables below, so a stray file cannot change a kiosk, nothing is written to
    # disk, and a fresh box logs no "Older configuration version detected" warning.
    env.setdefault("KIVY_NO_CONFIG", "1")
    if offscreen is None:
        offscreen = not has_display()
    if offscreen:
        env.setdefault("KIVY_WINDOW", "sdl2")
        env.setdefault("SDL_VIDEODRIVER", "offscreen")  # EGL pbuffer on Mesa: renders without a display
    env["KCFG_GRAPHICS_WIDTH"] = str(kiosk.width)
    env["KCFG_GRAPHICS_HEIGHT"] = str(kiosk.height)
    env["KCFG_GRAPHICS_FULLSCREEN"] = "auto" if fullscreen and not offscreen else "0"
    env["KCFG_KIVY_EXIT_ON_ESCAPE"] = "0"  # a keyboard-wedge card reader or a stray key must not quit
    # No multisampling: under software GL (a kiosk board without a GPU, and every machine
    # here) it costs a third of each frame and 65 MB; the rounded shapes read the same
    # without it (the screenshots, drawn off-window, never had it).
    env.setdefault("KCFG_GRAPHICS_MULTISAMPLES", "0")
    env.setdefault("KCFG_INPUT_MOUSE", "mouse,disable_multitouch")  # no red multitouch dots on right-click
    env.setdefault("KCFG_KIVY_LOG_LEVEL", "info")


def run_kiosk(config: BranchConfig | Path | str, fullscreen: bool | None = None) -> int:
    """Run the touchscreen until it is closed; the exit code for the `kiosk` command.

    `fullscreen` None follows `[kiosk] fullscreen`; without a display it is always offscreen.
    """
    if not isinstance(config, BranchConfig):
        try:
            config = load_config(config)
        except ConfigError as exc:
            print(exc.report(), file=sys.stderr)
            return 1
    if fullscreen is None:
        fullscreen = config.kiosk.fullscreen
    prepare_kivy_environment(config.kiosk, fullscreen)
    from kiosk.touchscreen import KioskApp, KioskSetupError

    try:
        app = KioskApp(config, fullscreen=fullscreen and has_display())
        app.run()
    except (BusError, KioskSetupError) as exc:
        print(f"kiosk: {exc}", file=sys.stderr)
        return 1
    return 0
