"""A branch for the kiosk's tests: the private broker, the demo customers, the agent."""

from __future__ import annotations

import re
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

from tests.bus_helpers import AgentProcess, write_config_for
from tests.conftest import REPO
from tools.demo_customers import write_crm_export

AGENT_ENV = {"LOBBY_VOICE__ENABLED": "false"}  # announcements are not what these tests are about


def import_demo_customers(config_path: Path, folder: Path) -> None:
    export = folder / "crm-export.csv"
    write_crm_export(export)
    subprocess.run([sys.executable, "-m", "edge_agent.cli", "--config", str(config_path), "customers", "import", str(export)],
                   check=True, cwd=REPO, capture_output=True)
    export.unlink()


@contextmanager
def kiosk_branch(broker, branch_toml: Path, start_agent: bool = True, **settings):
    """A branch on the private broker with the demo customers, its agent running (or not yet).

    `settings` replace keys of the example branch; keys it lacks are added under [kiosk].
    """
    text = branch_toml.read_text(encoding="utf-8")
    for key, value in settings.items():
        text, found = re.subn(rf"^{key} = .*$", f"{key} = {value}", text, count=1, flags=re.M)
        if not found:
            text = text.replace("[kiosk]\n", f"[kiosk]\n{key} = {value}\n", 1)
    branch_toml.write_text(text, encoding="utf-8")
    config_path = write_config_for(broker, branch_toml)
    import_demo_customers(config_path, branch_toml.parent)
    agent = AgentProcess(config_path, env=AGENT_ENV)
    if start_agent:
        agent.start()
    try:
        yield config_path, agent
    finally:
        agent.stop()
