"""`tthc-xl serve`: the xlwings Server endpoints answer real HTTP requests with the buttons' actions."""

import argparse
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import openpyxl
import pytest
from fastapi.testclient import TestClient

import xlwings_payload as xp

from tthc_xl import server
from tthc_xl.cli import main

SHEET = "Phụ lục I"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def blank_master(tmp_path_factory):
    path = tmp_path_factory.mktemp("server") / "tong-hop.xlsx"
    assert main(["new-master", "--form", "mau-a", "--units", "soc-trang-so-nganh", "-o", str(path)]) == 0
    return path


@pytest.fixture(scope="module")
def running(unit_folder, tmp_path_factory):
    """`tthc-xl serve` in a subprocess on a free port, unit files under `unit_folder`."""
    port = free_port()
    env = {**os.environ, "XLWINGS_LICENSE_KEY": "noncommercial"}
    log = tmp_path_factory.mktemp("log") / "serve.log"
    with open(log, "w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "tthc_xl.server", "serve", "--folder", str(unit_folder), "--port", str(port)],
            stdout=out, stderr=subprocess.STDOUT, env=env,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None:
                pytest.fail(f"tthc-xl serve stopped: {log.read_text()}")
            time.sleep(0.2)
        else:
            pytest.fail(f"tthc-xl serve did not answer: {log.read_text()}")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_serve_answers_consolidate_over_http(running, blank_master, tmp_path):
    path = tmp_path / "m.xlsx"
    shutil.copy(blank_master, path)
    response = httpx.post(f"{running}/xlwings/custom-scripts-call/consolidate", json=xp.payload(path), timeout=120)
    assert response.status_code == 200
    actions = response.json()["actions"]
    body = next(a for a in actions if a["func"] == "setValues" and a["sheet_position"] == 0 and a["start_row"] == 8)
    assert body["values"][20 - 9][:6] == [12, "Sở Tư pháp", "=D20+E20", 181, 664, "=G20+H20+I20"]
    alert = next(a for a in actions if a["func"] == "alert")
    assert alert["args"][0].startswith("Đã tổng hợp 16/16 đơn vị vào trang “Phụ lục I”: 7 lỗi")
    book = openpyxl.load_workbook(path)
    xp.apply_actions(book, actions)
    sheet = book[SHEET]
    assert sheet["C25"].value == "=SUM(C9:C24)" and sheet["F11"].value == 40
    assert "Sở Giáo dục và Đào tạo" in sheet["F11"].comment.text


def test_serve_lists_its_scripts_and_serves_the_manifest(running):
    meta = httpx.get(f"{running}/xlwings/custom-scripts-meta.json").json()
    assert {m["function_name"]: m["name"] for m in meta} == {"consolidate": "Tổng hợp", "check": "Kiểm tra", "clear_marks": "Xóa đánh dấu"}
    manifest = httpx.get(f"{running}/manifest.xml").text
    for label in ("Tổng hợp", "Kiểm tra", "Xóa đánh dấu"):
        assert f'DefaultValue="{label}"' in manifest
    assert "https://localhost:8000" not in manifest and "/taskpane.html" in manifest
    assert 'xw-click="consolidate"' in httpx.get(f"{running}/taskpane.html").text


def test_unit_files_are_read_only_under_the_configured_folder(unit_folder, blank_master, tmp_path):
    app = server.create_app(server.ServerSettings(folder=unit_folder))
    client = TestClient(app)
    path = tmp_path / "m.xlsx"
    shutil.copy(blank_master, path)
    for outside in ("..", str(unit_folder.parent), "/etc"):
        data = xp.payload(path)
        xp.set_name(data, "ThuMucBaoCao", outside)
        actions = client.post("/xlwings/custom-scripts-call/consolidate", json=data).json()["actions"]
        assert [a["func"] for a in actions] == ["setValues", "alert"]  # the status line on "Kiểm tra", the message
        assert actions[0]["sheet_position"] == 1 and (actions[0]["start_row"], actions[0]["start_column"]) == (1, 0)
        assert "nằm ngoài thư mục báo cáo của máy chủ" in actions[1]["args"][0]
    assert client.post("/xlwings/custom-scripts-call/xoa_tat_ca", json=xp.payload(path)).status_code == 404
    assert client.post("/xlwings/custom-scripts-call/check", content=b"not json").status_code == 400


def test_settings_come_from_a_config_file_and_the_licence_key_is_required(unit_folder, tmp_path):
    config = tmp_path / "tthc-xl.env"
    config.write_text(f"# máy chủ\nTTHC_XL_FOLDER={unit_folder}\nTTHC_XL_PORT=8123\nTTHC_XL_PUBLIC_URL=https://tthc.example.gov.vn\n", encoding="utf-8")
    settings = server.settings_from(argparse.Namespace(config=str(config)), environ={})
    assert (settings.folder, settings.port, settings.base_url) == (unit_folder.resolve(), 8123, "https://tthc.example.gov.vn")
    with pytest.raises(server.ConfigError, match="TTHC_XL_FOLDER"):
        server.settings_from(argparse.Namespace(), environ={})
    env = {k: v for k, v in os.environ.items() if k != "XLWINGS_LICENSE_KEY"}
    env["HOME"] = str(tmp_path)  # no ~/.xlwings/xlwings.conf either
    result = subprocess.run([sys.executable, "-m", "tthc_xl.server", "serve", "--folder", str(unit_folder)],
                            capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 2 and "XLWINGS_LICENSE_KEY=noncommercial" in result.stderr


def test_serve_and_doctor_register_as_subcommands():
    from tthc_xl import doctor

    parser = argparse.ArgumentParser()
    commands = parser.add_subparsers(dest="command")
    server.add_commands(commands)
    doctor.add_commands(commands)
    args = parser.parse_args(["serve", "--folder", "bao-cao", "--port", "9000"])
    assert args.run is server.cmd_serve and args.port == 9000
    assert parser.parse_args(["doctor"]).run is doctor.cmd_doctor


def test_doctor_reports_the_install(tmp_path, capsys):
    from tthc_xl import doctor

    conf = tmp_path / ".xlwings" / "xlwings.conf"
    conf.parent.mkdir()
    key = "INTERPRETER_WIN" if sys.platform.startswith("win") else "INTERPRETER_MAC"
    conf.write_text(f'"{key}","{tmp_path / "khong-co" / "python.exe"}"\n"PYTHONPATH","{tmp_path}"\n', encoding="utf-8")
    checks = doctor.run_checks(Path(__file__).parent.parent / "workbook" / "tthc-xl-master.xlsm", home=tmp_path)
    lines = [c.line() for c in checks]
    assert lines[0].startswith("✓ Python 3.")
    assert any(line.startswith("✓ xlwings 0.37") for line in lines)
    assert any(line.startswith("✗") and key in line for line in lines)  # the interpreter path is wrong
    assert any(line.startswith("✓") and "PYTHONPATH có" in line for line in lines)
    assert any("tthc-xl-master.xlsm có macro" in line and line.startswith("✓") for line in lines)
    assert any("Mẫu biểu" in line and "mau-a" in line for line in lines)
    assert doctor.cmd_doctor(argparse.Namespace(workbook=None)) == 0
    out = capsys.readouterr().out
    assert "Máy đã sẵn sàng" in out and "Enable all macros" in out and "Trust access to the VBA project object model" in out
