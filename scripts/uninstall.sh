#!/usr/bin/env bash
# `make uninstall`: removes the software and the units; keeps the configuration and the
# data (tickets, card key, broker users) unless PURGE=1. ROOT=/path as for install.
set -euo pipefail
ROOT="${ROOT:-/}"
ROOT="${ROOT%/}"
[ "$(id -u)" -eq 0 ] || { echo "run as root (sudo make uninstall)" >&2; exit 1; }
if [ "$ROOT" = "" ] && command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
  systemctl disable --now lobby-agent.service lobby-broker.service lobby-kiosk.service 2>/dev/null || true
fi
rm -f "$ROOT"/etc/systemd/system/lobby-{agent,broker,kiosk}.service
rm -rf "$ROOT/opt/lobby"
if [ "${PURGE:-0}" = "1" ]; then
  rm -rf "$ROOT/etc/lobby" "$ROOT/var/lib/lobby"
  if grep -q '^lobby:' "$ROOT/etc/passwd" 2>/dev/null; then userdel ${ROOT:+--root "$ROOT"} lobby; fi
  echo "removed Lobby Kiosk, its configuration, its data and the lobby user"
else
  echo "removed Lobby Kiosk; kept /etc/lobby and /var/lib/lobby (PURGE=1 make uninstall removes them)"
fi
