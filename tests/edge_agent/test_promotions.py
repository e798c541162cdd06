"""营销信息发布: promotions from the tablet and from dropped files, checked before any screen
shows them, and the retained state the hall display and the kiosk read."""

from __future__ import annotations

import base64
import io
import logging
import random
from datetime import date

import pytest
from PIL import Image

from edge_agent.queue.engine import QueueError
from lobby.contract import ErrorCode, Tier
from tests.staff_helpers import PINS, import_roster

TODAY = date(2026, 11, 23)


def png(size=(320, 180), color=(179, 18, 31), kind="PNG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, kind)
    return out.getvalue()


@pytest.fixture
def manager(branch, tmp_path, clock):
    import_roster(branch.store, tmp_path, clock())
    return branch.staff.sign_in("M101", PINS["M101"], "manager", None).session


def refusal(call) -> QueueError:
    with pytest.raises(QueueError) as caught:
        call()
    return caught.value


def test_a_promotion_with_a_picture_is_shown_in_its_date_range(branch, manager):
    image = base64.b64encode(png()).decode()
    answer = branch.promotions.publish(manager, "大额存单 3.1%", "20万起存", image, TODAY, date(2026, 12, 31), [Tier.VIP])
    assert answer.active
    later = branch.promotions.publish(manager, "新春理财", "", None, date(2027, 1, 1), date(2027, 1, 31), [])
    assert not later.active
    shown = branch.promotions.state().promotions
    assert [p.title for p in shown] == ["大额存单 3.1%"] and shown[0].image.startswith("data:image/png;base64,")
    assert shown[0].tiers == [Tier.VIP]
    branch.promotions.withdraw(manager, answer.promotion_id)
    assert branch.promotions.state().promotions == []


@pytest.mark.parametrize(
    ("image", "code", "words"),
    [
        (base64.b64encode(b"%PDF-1.4 not an image").decode(), ErrorCode.BAD_IMAGE, "not a PNG or JPEG"),
        ("@@@not-base64@@@", ErrorCode.BAD_IMAGE, "not valid base64"),
        (base64.b64encode(png(kind="GIF")).decode(), ErrorCode.BAD_IMAGE, "use PNG or JPEG"),
        (base64.b64encode(png(size=(4000, 200))).decode(), ErrorCode.IMAGE_TOO_LARGE, "longer side may be 1920"),
        (base64.b64encode(png()[:60]).decode(), ErrorCode.BAD_IMAGE, "damaged"),
    ],
)
def test_a_picture_that_is_not_a_usable_image_is_refused(branch, manager, image, code, words):
    refused = refusal(lambda: branch.promotions.publish(manager, "标题", "", image, TODAY, TODAY, []))
    assert refused.code is code and words in refused.message
    assert branch.store.conn.execute("SELECT COUNT(*) FROM promotions").fetchone()[0] == 0


def test_a_picture_over_the_byte_limit_is_refused(branch, manager):
    noise = Image.frombytes("RGB", (400, 400), random.Random(7).randbytes(400 * 400 * 3))  # incompressible
    out = io.BytesIO()
    noise.save(out, "PNG")
    refused = refusal(lambda: branch.promotions.publish(manager, "标题", "", base64.b64encode(out.getvalue()).decode(), TODAY, TODAY, []))
    assert refused.code is ErrorCode.IMAGE_TOO_LARGE and "the limit is 150 KB" in refused.message


def test_dates_count_and_who_may_publish(branch, manager, clock):
    assert refusal(lambda: branch.promotions.publish(manager, "t", "", None, TODAY, date(2026, 11, 1), [])).code is ErrorCode.BAD_DATES
    assert refusal(lambda: branch.promotions.publish(manager, "t", "", None, date(2026, 11, 1), date(2026, 11, 2), [])).code is ErrorCode.BAD_DATES
    for n in range(6):
        branch.promotions.publish(manager, f"第{n}条", "", None, TODAY, TODAY, [])
    assert refusal(lambda: branch.promotions.publish(manager, "多一条", "", None, TODAY, TODAY, [])).code is ErrorCode.TOO_MANY_PROMOTIONS
    assert refusal(lambda: branch.promotions.withdraw(manager, "p-nothing")).code is ErrorCode.UNKNOWN_PROMOTION
    teller = branch.staff.sign_in("T301", PINS["T301"], "teller", "1").session
    assert refusal(lambda: branch.promotions.publish(teller, "t", "", None, TODAY, TODAY, [])).code is ErrorCode.WRONG_ROLE


def test_a_technicians_file_is_published_changed_and_withdrawn(branch_toml, tmp_path, clock, caplog):
    from edge_agent.branch import Branch
    from lobby.config import load_config

    folder = tmp_path / "promotions"
    folder.mkdir()
    branch_toml.write_text(branch_toml.read_text(encoding="utf-8").replace("# folder = ", "folder = "), encoding="utf-8")
    opened = Branch.open(load_config(branch_toml), clock)
    try:
        (folder / "cd.png").write_bytes(png())
        (folder / "cd.toml").write_text('title = "大额存单"\nimage = "cd.png"\nstarts_on = 2026-11-01\nends_on = 2026-12-31\n', encoding="utf-8")
        (folder / "broken.toml").write_text('title = "坏文件"\nimage = "cd.png"\nstarts_on = 2026-11-01\n', encoding="utf-8")
        (folder / "fake.png").write_bytes(b"GIF89a not really")
        (folder / "fake.toml").write_text('title = "假图"\nimage = "fake.png"\nstarts_on = 2026-11-01\nends_on = 2026-12-31\n', encoding="utf-8")
        with caplog.at_level(logging.WARNING):
            opened.promotions.sync_folder()
            opened.promotions.sync_folder()
        assert [p.promotion_id for p in opened.promotions.state().promotions] == ["file-cd"]
        warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        assert len(warnings) == 2  # each bad file once, not on every pass
        assert any("broken.toml" in w and "ends_on: Field required" in w for w in warnings)
        assert any("fake.toml" in w and "not a PNG or JPEG" in w for w in warnings)
        (folder / "cd.toml").unlink()
        opened.promotions.sync_folder()
        assert opened.promotions.state().promotions == []
    finally:
        opened.close()


def test_a_promotion_request_may_carry_its_picture_and_no_other_request_grows(branch, manager):
    """The tablet sends the picture base64 inside the request: promotion_publish alone gets
    room for [promotions] max_image_kb on top of [mqtt] max_payload_bytes."""
    import json

    from edge_agent.bus.requests import handle_request

    noise = Image.frombytes("RGB", (180, 180), random.Random(3).randbytes(180 * 180 * 3))
    out = io.BytesIO()
    noise.save(out, "PNG")
    assert 64 * 1024 < len(out.getvalue()) < 150 * 1024
    request = {"transaction": "promo-1", "session": manager, "title": "大额存单", "image": base64.b64encode(out.getvalue()).decode(),
               "starts_on": TODAY.isoformat(), "ends_on": TODAY.isoformat()}
    handled = handle_request("promotion_publish", json.dumps(request).encode(), branch, 16384)
    assert handled.response.status == "ok", handled.response
    padded = json.dumps({"transaction": "t-2", "service": "cash", "kiosk": "k" * 20_000}).encode()
    assert handle_request("ticket", padded, branch, 16384).response.code == "too_large"
