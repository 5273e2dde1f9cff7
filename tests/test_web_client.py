"""The add-in's Office.js client (xlwings-server) knows every action the buttons return.

The action kinds come from running the buttons through xlwings' remote engine on real workbooks;
the client's table is read from the installed xlwings-server package's JavaScript.
"""

import argparse
import configparser
import importlib.metadata
import re
import shutil
from pathlib import Path

import pytest
import xlwings
from fastapi.testclient import TestClient

import xlwings_payload as xp

from tthc_xl.cli import doctor
from tthc_xl.cli.app import main
from tthc_xl.excel import buttons as excel
from tthc_xl.excel import client, server

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "Tp-4Qm9vX2rLw8cZk7bN3sHj"


def version_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", text)[:3])


@pytest.fixture(scope="module")
def returned_kinds(unit_folder, tmp_path_factory):
    """Every action kind the five buttons return: a new master and the macro workbook consolidated,
    then checked, cleared and printed."""
    out = tmp_path_factory.mktemp("kinds")
    master = out / "tong-hop.xlsx"
    assert main(["new-master", "--form", "mau-a", "--units", "soc-trang-so-nganh", "-o", str(master)]) == 0
    macro = out / "tthc-xl-master.xlsm"
    shutil.copy(ROOT / "workbook" / "tthc-xl-master.xlsm", macro)
    folder = lambda data: xp.set_name(data, "ThuMucBaoCao", str(unit_folder))  # noqa: E731
    kinds = {}
    for path in (master, macro):
        for button, edit in ((excel.consolidate, folder), (excel.check, None), (excel.clear_marks, None),
                             (excel.print_appendix, None), (excel.draft_report, None)):
            _, actions, _ = xp.run_button(button, path, edit=edit)
            for action in actions:
                kinds.setdefault(action["func"], button.__name__)
    return kinds


def test_the_declared_action_kinds_are_those_the_buttons_return(returned_kinds):
    assert set(returned_kinds) == client.ACTIONS, "update tthc_xl/excel/client.py ACTIONS"
    assert len(client.ACTIONS) == 24
    # each is a kind xlwings' remote engine emits (its source names it in an append_json_action)
    engine = (Path(xlwings.__file__).parent / "pro" / "_xlremote.py").read_text(encoding="utf-8")
    assert {kind for kind in client.ACTIONS if f'func="{kind}"' not in engine} == set()


def test_the_installed_client_knows_every_action_and_the_check_sees_a_missing_one():
    static = client.installed_static_dir()
    assert static is not None, "xlwings-server is not installed: pip install \"tthc-xl[server]\""
    script = (static / client.CLIENT_SCRIPT).read_text(encoding="utf-8")
    table = client.action_table(script)
    assert len(table) > 100 and {"setValues", "addNote", "setNameRefersTo"} <= table
    assert client.missing_actions(script) == []
    # the same client without its addNote entry (as xlwings-server 1.16 shipped it) fails the check
    without = re.sub(r"^\s*addNote: addNote,\n", "", script, flags=re.M)
    assert without != script and client.missing_actions(without) == ["addNote"]
    assert client.missing_actions("export function runPython() {}") == sorted(client.ACTIONS)


def test_the_server_extra_declares_the_first_client_that_knows_every_action():
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg", encoding="utf-8")
    extras = config["options.extras_require"]
    for extra in ("server", "test"):
        pins = re.findall(r"^xlwings-server>=([\d.]+)$", extras[extra], re.M)
        assert pins == [client.MIN_VERSION], extra
    installed = importlib.metadata.version("xlwings-server")
    assert client.client_status(client.installed_static_dir()).version == installed
    assert version_tuple(installed) >= version_tuple(client.MIN_VERSION)


def _app(static_dir):
    settings = server.ServerSettings(folder=ROOT, tokens={"so-tu-phap": TOKEN}, static_dir=static_dir)
    return TestClient(server.create_app(settings))


def test_health_reports_the_client_and_fails_without_a_complete_one(tmp_path):
    health = _app(client.installed_static_dir()).get("/health")
    assert health.status_code == 200
    assert health.json()["status"] == "ok" and health.json()["xlwings_server"] == importlib.metadata.version("xlwings-server")

    health = _app(None).get("/health")
    assert health.status_code == 503 and health.json()["status"] == "error"
    assert health.json()["detail"].startswith("Chưa có xlwings-server (phần chạy trong Excel của add-in)")
    assert len(health.json()["missing_actions"]) == 24

    old = tmp_path / "static"
    shutil.copytree(client.installed_static_dir() / "js" / "custom-scripts", old / "js" / "custom-scripts")
    script = old / client.CLIENT_SCRIPT
    script.write_text(re.sub(r"^\s*(addNote|rangeMerge): \w+,\n", "", script.read_text(encoding="utf-8"), flags=re.M), encoding="utf-8")
    health = _app(old).get("/health")
    assert health.status_code == 503 and health.json()["missing_actions"] == ["addNote", "rangeMerge"]
    assert "không biết 2 thao tác các nút cần (addNote, rangeMerge)" in health.json()["detail"]
    assert f"pip install \"xlwings-server>={client.MIN_VERSION}\"" in health.json()["detail"]
    assert str(old) not in health.text  # the public health check names no folder of the server


def test_doctor_reports_the_client_and_server_mode_fails_without_it(monkeypatch, capsys):
    assert doctor.cmd_doctor(argparse.Namespace(workbook=None, server=True)) == 0
    out = capsys.readouterr().out
    assert f"✓ xlwings-server {importlib.metadata.version('xlwings-server')}: phần chạy trong Excel của add-in" in out

    monkeypatch.setattr(client, "installed_static_dir", lambda: None)  # as on a machine without the package
    assert doctor.cmd_doctor(argparse.Namespace(workbook=None, server=True)) == 1
    out = capsys.readouterr().out
    assert "✗ xlwings-server" in out and "Chưa có xlwings-server" in out and "Còn 1 mục cần sửa" in out
    assert doctor.cmd_doctor(argparse.Namespace(workbook=None, server=False)) == 0  # the desktop needs no client
    assert "(không bắt buộc)" in capsys.readouterr().out
