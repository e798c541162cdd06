"""`kiosk card-test`: a technician swipes cards and sees one JSON line per swipe.

    {"ok": true, "masked_pan": "622202*********0128", "token": "9f86..."}
    {"ok": false, "error": "read_failed: the reader reported a failed read (E): swipe again, steadily"}
"""

from __future__ import annotations

import json
import sys
from typing import TextIO

from kiosk.devices.card_readers import LineReader, open_reader
from lobby.contract import CardIdentity
from lobby.device_settings import CardReaderSettings


def run_card_test(settings: CardReaderSettings, key: bytes, stdin: TextIO | None, out: TextIO = sys.stdout) -> int:
    reader = LineReader(stdin, key) if stdin is not None else open_reader(settings, key)
    try:
        for swipe in reader.swipes():
            if isinstance(swipe, CardIdentity):
                line = {"ok": True, "masked_pan": swipe.masked_pan, "token": swipe.token}
            else:
                line = {"ok": False, "error": f"{swipe.reason}: {swipe.technician}"}
            out.write(json.dumps(line, ensure_ascii=False) + "\n")
            out.flush()
    except KeyboardInterrupt:
        pass
    finally:
        reader.close()
    return 0
