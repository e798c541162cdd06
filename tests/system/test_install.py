"""`make install` and `make uninstall` against a scratch root, as a technician would run them."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import tomllib

import pytest

from tests.conftest import REPO


@pytest.fixture(scope="module")
def scratch_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("root")
    (root / "etc").mkdir()
    for name in ("passwd", "group", "shadow", "gshadow"):  # the accounts database useradd --root edits
        shutil.copy(f"/etc/{name}", root / "etc" / name)
    return root


def make(target: str, root, **env) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "-C", str(REPO), target, f"ROOT={root}"], capture_output=True, text=True, timeout=900,
        env={**os.environ, **{k: str(v) for k, v in env.items()}},
    )


@pytest.mark.skipif(os.geteuid() != 0, reason="installing needs root")
def test_install_upgrade_and_uninstall(scratch_root):
    result = make("install", scratch_root)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "Still to do by hand" in result.stdout and "config check" in result.stdout

    passwd = (scratch_root / "etc" / "passwd").read_text()
    assert "\nlobby:" in "\n" + passwd
    groups = (scratch_root / "etc" / "group").read_text().splitlines()
    for group in ("dialout", "audio"):
        assert "lobby" in next(g for g in groups if g.startswith(group + ":")).split(":")[3].split(",")

    assert (scratch_root / "opt/lobby/venv/bin/edge-agent").exists()
    assert (scratch_root / "opt/lobby/node_modules/mqtt/dist/mqtt.min.js").exists()
    config = scratch_root / "etc/lobby/branch.toml"
    assert tomllib.loads(config.read_text())["branch"]["id"] == "sh-lujiazui-01"
    key = scratch_root / "var/lib/lobby/card.key"
    credentials = scratch_root / "etc/lobby/broker/credentials.json"
    for secret in (key, credentials):
        assert stat.S_IMODE(secret.stat().st_mode) == 0o600, secret
    assert stat.S_IMODE(config.stat().st_mode) == 0o640
    units = sorted(p.name for p in (scratch_root / "etc/systemd/system").glob("lobby-*.service"))
    assert units == ["lobby-agent.service", "lobby-broker.service", "lobby-kiosk.service"]
    assert "/opt/lobby/venv/bin/kiosk" in (scratch_root / "etc/systemd/system/lobby-kiosk.service").read_text()

    # An edited configuration survives a reinstall, and so do the generated secrets.
    config.write_text(config.read_text().replace('name = "浦东陆家嘴支行"', 'name = "测试支行"'))
    first_key, first_passwords = key.read_bytes(), credentials.read_text()
    assert make("install", scratch_root).returncode == 0
    assert 'name = "测试支行"' in config.read_text()
    assert key.read_bytes() == first_key and credentials.read_text() == first_passwords

    kept = make("uninstall", scratch_root)
    assert kept.returncode == 0 and "kept /etc/lobby" in kept.stdout
    assert not (scratch_root / "opt/lobby").exists() and config.exists() and key.exists()
    assert not list((scratch_root / "etc/systemd/system").glob("lobby-*"))

    purged = make("uninstall", scratch_root, PURGE=1)
    assert purged.returncode == 0
    assert not (scratch_root / "etc/lobby").exists() and not (scratch_root / "var/lib/lobby").exists()
    assert "\nlobby:" not in "\n" + (scratch_root / "etc" / "passwd").read_text()
