"""The kiosk as lobby-kiosk.service starts it: under cage, through Xwayland, as an unprivileged user.

There is no seat here, so cage runs with its headless back end; everything else is the
unit's own command line and environment, against a real agent and broker. What the unit's
sandboxing adds can only be checked on a box with systemd (`systemd-analyze verify` runs
in test_systemd_units.py).
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.bus_helpers import AgentProcess, write_config_for
from tests.conftest import REPO

UNIT = REPO / "systemd" / "lobby-kiosk.service"
NOBODY = 65534

pytestmark = pytest.mark.skipif(shutil.which("cage") is None or shutil.which("Xwayland") is None, reason="make installs cage and xwayland")


def unit_command_and_environment() -> tuple[list[str], dict[str, str]]:
    text = UNIT.read_text()
    found = re.search(r"^ExecStart=(.*)$", text, re.M)
    assert found, f"{UNIT} has no ExecStart"
    exec_start = found.group(1).split()
    environment = dict(line.split("=", 1) for line in re.findall(r"^Environment=(.*)$", text, re.M))
    return exec_start, environment


def readable_by(uid: int, *files: Path) -> Path:
    """A folder only `uid` can read, holding copies of `files` (the unit runs as `lobby`)."""
    home = Path(tempfile.mkdtemp(prefix="lobby-kiosk-cage-"))
    for file in files:
        shutil.copy2(file, home / file.name)
    for path in [home, *home.iterdir()]:
        os.chown(path, uid, uid)
    return home


@contextmanager
def passable_by_others(*paths: Path):
    """Let other users pass through (not list) every folder above `paths`, for the test only.

    The unit runs the kiosk from /opt/lobby, which `lobby` can reach. A test checkout may sit
    in a private folder (`mktemp -d` makes it 0700), which the unprivileged user could not
    enter: cage would then exit at once, saying only that it found no GPU. The modes are put
    back afterwards.
    """
    changed: dict[Path, int] = {}
    for path in paths:
        for folder in [path, *path.parents]:
            mode = stat.S_IMODE(folder.stat().st_mode)
            if not mode & stat.S_IXOTH and folder not in changed:
                changed[folder] = mode
                folder.chmod(mode | stat.S_IXOTH)
    try:
        yield
    finally:
        for folder, mode in changed.items():
            folder.chmod(mode)


@pytest.fixture
def agent(broker, branch_toml):
    toml = write_config_for(broker, branch_toml)
    process = AgentProcess(toml, env={"LOBBY_VOICE__ENABLED": "false"})
    process.start()
    yield toml
    process.stop()


def test_the_kiosk_comes_up_under_cage_as_the_unit_starts_it(agent, broker):
    as_root = os.geteuid() == 0
    uid = NOBODY if as_root else os.geteuid()  # cage refuses to run as root
    credentials = Path(broker.config.mqtt.credentials_file)
    home = readable_by(uid, credentials)
    toml = home / "branch.toml"
    toml.write_text(agent.read_text(encoding="utf-8").replace(str(credentials), str(home / credentials.name)), encoding="utf-8")
    os.chown(toml, uid, uid)
    runtime = home / "run"
    runtime.mkdir(mode=0o700)
    os.chown(runtime, uid, uid)

    command, unit_env = unit_command_and_environment()
    assert command[:3] == ["/usr/bin/cage", "-d", "--"]
    command = [part.replace("/opt/lobby/venv/bin/", f"{Path(sys.executable).parent}/") for part in command]
    command = [str(toml) if part == "/etc/lobby/branch.toml" else part for part in command]
    env = {
        # As under ProtectHome=yes, the user's home cannot be reached: the kiosk writes nothing.
        "PATH": os.environ["PATH"], "XDG_RUNTIME_DIR": str(runtime), "HOME": str(home / "unreachable"),
        **unit_env,
        # No seat or GPU here: cage draws into memory.
        "WLR_BACKENDS": "headless", "WLR_RENDERER": "pixman", "WLR_LIBINPUT_NO_DEVICES": "1",
    }
    as_user = ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups"] if as_root else []
    with passable_by_others(REPO, Path(sys.prefix)):
        # Said plainly here rather than as cage's silent exit further down.
        reach = subprocess.run([*as_user, sys.executable, "-c", "import kiosk.app"], env=env, cwd=home, capture_output=True, text=True)
        assert reach.returncode == 0, f"uid {uid} cannot run the kiosk from {REPO}:\n{reach.stderr}"
        run_under_cage([*as_user, *command], env, home)


def run_under_cage(command: list[str], env: dict[str, str], home: Path) -> None:
    log_path = home / "kiosk.log"
    with open(log_path, "wb") as log:
        kiosk = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=home)
    try:
        deadline = time.monotonic() + 60
        while True:
            text = log_path.read_text(errors="replace")
            if "the agent is available" in text and re.search(r"first frame drawn \(\d+x\d+\)", text):
                break
            assert kiosk.poll() is None, f"the kiosk stopped under cage:\n{text}"
            assert time.monotonic() < deadline, f"no frame drawn or the agent not reached:\n{text}"
            time.sleep(0.2)
        assert "Traceback" not in text and "Config:" not in text  # no config.ini read, written or upgraded
        assert not (home / "unreachable").exists()
    finally:
        kiosk.terminate()
        try:
            kiosk.wait(15)
        except subprocess.TimeoutExpired:
            kiosk.kill()
            kiosk.wait()
        shutil.rmtree(home, ignore_errors=True)
