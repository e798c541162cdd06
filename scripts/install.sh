#!/usr/bin/env bash
# `make install`: Lobby Kiosk on a branch box (Debian 12 or Raspberry Pi OS), as root.
# ROOT=/path installs into a scratch root instead of / (the tests do this).
set -euo pipefail

SRC="$(cd "$(dirname "$0")/.." && pwd)"
ROOT="${ROOT:-/}"
ROOT="${ROOT%/}"
PREFIX="$ROOT/opt/lobby"
ETC="$ROOT/etc/lobby"
STATE="$ROOT/var/lib/lobby"
UNITS="$ROOT/etc/systemd/system"
PYTHON="${PYTHON:-/usr/bin/python3}"

say() { printf '\033[1m%s\033[0m\n' "$*"; }

[ "$(id -u)" -eq 0 ] || { echo "run as root (sudo make install)" >&2; exit 1; }

say "1/6 the lobby user (groups dialout for serial ports, audio for announcements)"
if ! grep -q '^lobby:' "$ROOT/etc/passwd" 2>/dev/null; then
  useradd ${ROOT:+--root "$ROOT"} --system --no-create-home --home-dir /var/lib/lobby \
    --shell /usr/sbin/nologin --groups dialout,audio --user-group lobby
fi
uid=$(awk -F: '$1=="lobby"{print $3}' "$ROOT/etc/passwd")
gid=$(awk -F: '$1=="lobby"{print $3}' "$ROOT/etc/group")

say "2/6 the software in $PREFIX/venv"
mkdir -p "$PREFIX"
[ -x "$PREFIX/venv/bin/python" ] || "$PYTHON" -m venv "$PREFIX/venv"
"$PREFIX/venv/bin/pip" install -q -c "$SRC/constraints.txt" "$SRC[kiosk]"
if [ -d "$SRC/node_modules/mqtt" ]; then  # the browser MQTT client served with the pages
  mkdir -p "$PREFIX/node_modules" && cp -r "$SRC/node_modules/mqtt" "$PREFIX/node_modules/"
fi
cp "$SRC/README.md" "$PREFIX/README.md"
# The broker plugin tying client ids to users (make builds it); `broker setup` copies it on.
mkdir -p "$PREFIX/lib" && install -m 0644 "$SRC/build/lobby_client_ids.so" "$PREFIX/lib/lobby_client_ids.so"

say "3/6 the configuration in $ETC (an edited one is never overwritten)"
mkdir -p "$ETC" "$STATE"
if [ ! -e "$ETC/branch.toml" ]; then
  cp "$SRC/config/branch.example.toml" "$ETC/branch.toml"
  new_config=yes
fi
chown root:"$gid" "$ETC" "$ETC/branch.toml"; chmod 0750 "$ETC"; chmod 0640 "$ETC/branch.toml"
chown "$uid:$gid" "$STATE"; chmod 0750 "$STATE"

say "4/6 secrets: the card key and the broker's users (generated here, never shipped)"
"$PREFIX/venv/bin/python" - "$STATE/card.key" <<'PY'
import sys
from pathlib import Path
from lobby.card_key import load_or_create_key
load_or_create_key(Path(sys.argv[1]))
PY
chown "$uid:$gid" "$STATE/card.key"; chmod 0600 "$STATE/card.key"
"$PREFIX/venv/bin/edge-agent" --config "$ETC/branch.toml" broker setup --out "$ETC/broker" >/dev/null
# The agent and the kiosk (user lobby) read their credentials; nobody else does.
chown "$uid:$gid" "$ETC/broker/credentials.json"; chmod 0600 "$ETC/broker/credentials.json"

say "5/6 systemd units"
mkdir -p "$UNITS"
for unit in "$SRC"/systemd/*.service; do
  sed -e "s#/opt/lobby/.venv/#/opt/lobby/venv/#g" "$unit" > "$UNITS/$(basename "$unit")"
done
if [ "$ROOT" = "" ] && command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
  systemctl daemon-reload
  systemctl enable lobby-broker.service lobby-agent.service
fi

say "6/6 done. Still to do by hand:"
cat <<TXT
  - edit $ETC/branch.toml: [branch] id and name, services and counters, [printer] port
    (see \`edge-agent devices list\`), [[displays]], [kiosk.card_reader]${new_config:+ (it is the example now)}
  - check it: $PREFIX/venv/bin/edge-agent config check /etc/lobby/branch.toml
  - after editing it, regenerate the broker: edge-agent broker setup --config /etc/lobby/branch.toml --out /etc/lobby/broker
  - import customers: edge-agent customers import crm-export.csv
  - start: systemctl start lobby-broker lobby-agent   (kiosk box: apt-get install cage xwayland; systemctl enable --now lobby-kiosk)
TXT
