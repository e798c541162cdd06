"""The technician's device commands, against virtual devices behind plain serial paths."""

from __future__ import annotations

import pytest

from edge_agent.devices import commands
from edge_agent.devices.printer.escpos_decoder import TextLine
from edge_agent.devices.virtual.display import start_virtual_display
from edge_agent.devices.virtual.printer import VirtualPrinter, start_virtual_printer
from lobby.device_settings import CounterDisplaySettings, PrinterSettings


@pytest.fixture
def hardware(tmp_path):
    """A "real" printer and display: virtual devices the commands only know by their port paths."""
    printer = VirtualPrinter(tmp_path / "printer")
    printer.start()
    display, display_port = start_virtual_display(CounterDisplaySettings(counter="3", port="virtual"), tmp_path / "displays")
    yield (
        printer, display,
        PrinterSettings(port=str(printer.link), status_timeout_s=0.3),
        [CounterDisplaySettings(counter="3", port=str(display_port))],
    )
    display.stop()
    printer.stop()


def test_check_reports_each_device_in_words(hardware):
    printer, _, printer_settings, displays = hardware
    ok, report = commands.check_devices(printer_settings, displays)
    assert ok, report
    assert f"ticket printer printer-1 on {printer.link}: ok — The ticket printer is ready." in report
    assert "display of counter 3 on" in report and ": ok — The display of counter 3 is working." in report
    printer.command("cover_open")
    ok, report = commands.check_devices(printer_settings, displays)
    assert not ok and "cover_open — The ticket printer's cover is open: close it firmly." in report


def test_check_names_a_missing_display(hardware, tmp_path):
    _, _, printer_settings, _ = hardware
    missing = [CounterDisplaySettings(counter="5", port=str(tmp_path / "gone"))]
    ok, report = commands.check_devices(printer_settings, missing)
    assert not ok and "display of counter 5" in report and "no such port" in report


def test_test_print_exercises_chinese_full_width_qr_and_cut(hardware):
    printer, _, printer_settings, _ = hardware
    text = commands.test_print(printer_settings, "测试支行")
    assert "printed a test ticket" in text
    assert printer.wait_for_tickets(1)
    lines = [e.text for e in printer.printed[0] if isinstance(e, TextLine)]
    assert "测试支行" in lines and "测试打印" in lines and "全角数字１２３，标点：“测试”！" in lines
    printer.command("paper_out")
    with pytest.raises(commands.DeviceCommandError, match="not printed — The ticket printer is out of paper"):
        commands.test_print(printer_settings, "测试支行")


def test_test_print_on_the_virtual_printer_draws_a_png(tmp_path):
    settings = PrinterSettings(virtual_dir=tmp_path / "virtual")
    text = commands.test_print(settings, "测试支行")
    assert "test ticket" in text and text.endswith(".png")
    running, _ = start_virtual_printer(settings)  # now the "agent" owns it
    try:
        with pytest.raises(commands.DeviceCommandError, match="the agent is running and owns the virtual printer"):
            commands.test_print(settings, "测试支行")
        ok, report = commands.check_devices(settings, [])
        assert ok and report == "ticket printer printer-1: virtual, running; faults: none; tickets printed: 0"
        running.command("paper_out")
        assert commands.check_devices(settings, [])[0] is False
    finally:
        running.stop()
    ok, report = commands.check_devices(settings, [])
    assert not ok and "no virtual printer is running" in report


def test_display_test(hardware, tmp_path):
    _, display, _, displays = hardware
    assert commands.display_test(displays) == "counter 3: test text sent; check both lines on the display"
    assert display.wait_for(lambda lines: lines[1].strip() == "Counter 3 test" and "3号窗口 测试" in lines[0])
    with pytest.raises(commands.DeviceCommandError, match="counter 7: FAILED — The display of counter 7 cannot be opened"):
        commands.display_test([CounterDisplaySettings(counter="7", port=str(tmp_path / "gone"))])
    with pytest.raises(commands.DeviceCommandError, match=r"no \[\[displays\]\] are configured"):
        commands.display_test([])


def test_list_ports_says_who_uses_what(hardware, tmp_path):
    printer, _, printer_settings, displays = hardware
    listing = commands.list_ports([
        printer_settings, *displays,
        CounterDisplaySettings(counter="5", port=str(tmp_path / "gone")),
        CounterDisplaySettings(counter="6", port="virtual"),
    ])
    assert f"ticket printer printer-1 is configured on {printer.link}: present, but not a USB serial adapter" in listing
    assert f"display of counter 5 is configured on {tmp_path / 'gone'}: MISSING" in listing
    assert "display of counter 6: virtual (runs inside the agent)" in listing
