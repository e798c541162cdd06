"""The branch's virtual devices in a process of their own, as hardware is.

With `port = "virtual"` the agent starts `python -m edge_agent.devices.virtual.rig` and
writes the device settings to its standard input. The rig starts the virtual printer and
counter displays on their pseudo-terminals, answers with one JSON line naming the ports,
and runs until its standard input closes. That happens when the agent exits, however it
exits (SIGKILL included), so a rig never outlives its agent. Decoding tickets and drawing
their PNGs happens here, not in the agent: the agent's own figures stay its own, as they
would be with a real printer's firmware doing that work.
"""

from __future__ import annotations

import json
import logging
import select
import subprocess
import sys
from pathlib import Path

from pydantic import BaseModel

from lobby.device_settings import CounterDisplaySettings, PrinterSettings

log = logging.getLogger(__name__)

READY_TIMEOUT_S = 20


class RigSpec(BaseModel):
    printer: PrinterSettings | None = None
    displays: list[CounterDisplaySettings] = []
    displays_dir: Path


class RigPorts(BaseModel):
    printer: str | None = None
    displays: dict[str, str] = {}  # counter -> port


class VirtualRigError(RuntimeError):
    pass


class VirtualRig:
    """The agent's handle on the rig process."""

    def __init__(self, spec: RigSpec):
        self.spec = spec
        self.process: subprocess.Popen[bytes] | None = None
        self.ports = RigPorts()

    def start(self) -> RigPorts:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "edge_agent.devices.virtual.rig"], stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(self.spec.model_dump_json().encode() + b"\n")
        self.process.stdin.flush()
        ready, _, _ = select.select([self.process.stdout], [], [], READY_TIMEOUT_S)
        line = self.process.stdout.readline() if ready else b""
        if not line:
            self.stop()
            raise VirtualRigError(f"the virtual devices did not start within {READY_TIMEOUT_S} s; their log lines above say why")
        self.ports = RigPorts.model_validate_json(line)
        log.info("virtual devices running in process %d: %s", self.process.pid, self.ports.model_dump())
        return self.ports

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.stdin is not None:
            self.process.stdin.close()  # the rig's signal to stop
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            log.warning("the virtual devices did not stop within 10 s; killing them")
            self.process.kill()
            self.process.wait()
        self.process = None


def serve(spec: RigSpec) -> int:
    from edge_agent.devices.virtual.display import start_virtual_display
    from edge_agent.devices.virtual.printer import start_virtual_printer

    stoppers = []
    ports = RigPorts()
    if spec.printer is not None:
        printer, path = start_virtual_printer(spec.printer)
        stoppers.append(printer.stop)
        ports.printer = str(path)
    for settings in spec.displays:
        display, path = start_virtual_display(settings, spec.displays_dir)
        stoppers.append(display.stop)
        ports.displays[settings.counter] = str(path)
    print(json.dumps(ports.model_dump()), flush=True)
    sys.stdin.read()  # until the agent closes it, or dies
    for stop in stoppers:
        stop()
    return 0


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="virtual devices: %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    try:
        spec = RigSpec.model_validate_json(sys.stdin.readline())
        return serve(spec)
    except OSError as exc:
        log.error("%s", exc)
        return 1


if __name__ == "__main__":
    sys.exit(main())
