"""The branch configuration: the example loads, and every class of mistake gets its own clear message."""

from __future__ import annotations

from pathlib import Path

import pytest

from lobby.config import ConfigError, load_config
from tests.conftest import EXAMPLE_CONFIG


def problems_for(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "branch.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    return [f"[{p.key_path}] {p.message}" for p in caught.value.problems]


def edited(old: str, new: str) -> str:
    text = EXAMPLE_CONFIG.read_text(encoding="utf-8")
    assert old in text, f"the example no longer contains {old!r}"
    return text.replace(old, new, 1)


def test_example_is_a_realistic_branch():
    config = load_config(EXAMPLE_CONFIG)
    assert len(config.counters) == 6
    assert {s.name_zh for s in config.services} == {"个人现金", "个人非现金", "对公业务", "理财贵宾", "咨询"}
    assert config.branch.timezone == "Asia/Shanghai"
    assert {p.kind for p in config.profiles.values()} == {"fifo", "ratio", "accumulating"}
    assert config.tiers["vip"].min_assets == 200_000
    assert config.branch.hours_on(0)[0].hour == 9
    assert config.branch.hours_on(6) is None  # closed on Sunday


def test_environment_overrides_the_file(monkeypatch):
    monkeypatch.setenv("LOBBY_MQTT__PORT", "1999")
    monkeypatch.setenv("LOBBY_BRANCH__NAME", "测试支行")
    config = load_config(EXAMPLE_CONFIG)
    assert config.mqtt.port == 1999
    assert config.branch.name == "测试支行"
    assert config.branch.id == "sh-lujiazui-01"  # untouched keys keep the file's value


def test_bad_environment_value_names_the_variable(monkeypatch):
    monkeypatch.setenv("LOBBY_MQTT__PORT", "eighteen")
    with pytest.raises(ConfigError) as caught:
        load_config(EXAMPLE_CONFIG)
    (problem,) = caught.value.problems
    assert problem.key_path == "mqtt.port"
    assert "LOBBY_MQTT__PORT" in problem.message


def test_wrong_type(tmp_path):
    (problem,) = problems_for(tmp_path, edited("target_wait_min = 15", 'target_wait_min = "quarter hour"'))
    assert problem.startswith("[services[0].target_wait_min]")
    assert "valid number" in problem and "quarter hour" in problem


def test_unknown_key_suggests_the_right_one(tmp_path):
    (problem,) = problems_for(tmp_path, edited('prefix = "A"', 'prefx = "A"\nprefix = "A"'))
    assert problem == "[services[0].prefx] unknown key 'prefx'; did you mean 'prefix'?"


def test_unknown_section(tmp_path):
    (problem,) = problems_for(tmp_path, edited("[kiosk]", "[kiosks]\nwidth = 5\n[kiosk]"))
    assert problem.startswith("[kiosks] unknown key 'kiosks'; did you mean 'kiosk'?")


def test_missing_required_key(tmp_path):
    (problem,) = problems_for(tmp_path, edited('name_en = "Cash"\n', ""))
    assert problem == "[services[0].name_en] required key 'name_en' is missing"


def test_missing_required_section(tmp_path):
    text = EXAMPLE_CONFIG.read_text(encoding="utf-8").replace("[[counters]]", "[[old_counters]]")
    problems = problems_for(tmp_path, text)
    assert "[counters] required key 'counters' is missing" in problems


def test_counter_serving_an_undefined_service(tmp_path):
    (problem,) = problems_for(tmp_path, edited('services = ["corporate"]', 'services = ["corprate"]'))
    assert problem.startswith("[counters[4].services[0]] counter '5' serves 'corprate', which is not a service")
    assert "defined: cash, noncash, corporate, wealth, enquiry" in problem


def test_overlapping_ticket_prefixes(tmp_path):
    (problem,) = problems_for(tmp_path, edited('prefix = "E"', 'prefix = "AE"'))
    assert problem.startswith("[services[4].prefix] prefix 'AE' overlaps 'A' of services[0] (cash)")


def test_duplicate_prefix_and_ids(tmp_path):
    text = edited('prefix = "B"', 'prefix = "A"').replace('id = "2"\n', 'id = "1"\n', 1)
    problems = problems_for(tmp_path, text)
    assert any(p.startswith("[services[1].prefix] prefix 'A' overlaps 'A'") for p in problems)
    assert "[counters[1].id] the counter id '1' is used twice" in problems


def test_unknown_work_profile(tmp_path):
    (problem,) = problems_for(tmp_path, edited('profile = "fifo"', 'profile = "vip-first"'))
    assert "work profile 'vip-first', which is not defined under [profiles]" in problem


def test_bad_time_zone_and_hours(tmp_path):
    text = edited('timezone = "Asia/Shanghai"', 'timezone = "China/Beijing"').replace('"09:00-17:00"', '"17:00-09:00"')
    problems = problems_for(tmp_path, text)
    assert any("'China/Beijing' is not a time zone name" in p for p in problems)
    assert any("opening time must come before the closing time" in p for p in problems)


def test_invalid_toml_names_the_line(tmp_path):
    (problem,) = problems_for(tmp_path, edited("[kiosk]", "[kiosk"))
    assert "not valid TOML" in problem and "line" in problem


def test_missing_file_says_what_to_do(tmp_path):
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "nope.toml")
    assert "copy config/branch.example.toml" in str(caught.value)


def test_all_problems_reported_together(tmp_path):
    text = edited("port = 1883", "port = 99999").replace('name_en = "Cash"\n', "").replace("dpi = 160", "dpi = -1")
    problems = problems_for(tmp_path, text)
    assert len(problems) == 3


