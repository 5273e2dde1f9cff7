"""Errors a clerk can read: an unexpected fault in a button becomes a Vietnamese message (with the
log's location on the desktop), never a traceback; the add-in shows every failed call in Vietnamese."""

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest

import xlwings_payload as xp
from test_server import free_port, serve_command, serving_on

from tthc_xl.cli.app import main
from tthc_xl.excel import buttons as excel


@pytest.fixture
def master(tmp_path):
    path = tmp_path / "tong-hop.xlsx"
    assert main(["new-master", "--form", "mau-a", "--units", "soc-trang-so-nganh", "-o", str(path)]) == 0
    return path


def broken(*args, **kwargs):
    return {}["a fault of ours"]  # a KeyError, as a bug would raise


def test_an_unexpected_fault_on_the_desktop_is_a_vietnamese_alert_naming_the_log(master, tmp_path, monkeypatch):
    monkeypatch.setenv("LOCALAPPDATA", str(tmp_path / "AppData" / "Local"))
    monkeypatch.setattr(excel, "_check", broken)  # the fault
    monkeypatch.setattr(excel, "is_remote", lambda book: False)  # the desktop branch, on the remote engine's book
    result, actions, alerts = xp.run_button(excel.check, master)
    log = tmp_path / "AppData" / "Local" / "tthc-xl" / "nhat-ky.log"
    assert result is None and alerts[0]["mode"] == "critical"
    assert alerts[0]["prompt"] == (
        "tthc-xl gặp lỗi ngoài dự kiến nên việc chưa làm xong. Hãy lưu tệp, đóng Excel rồi thử lại; nếu vẫn lỗi, gửi tệp "
        f"nhật ký cho người hỗ trợ. Chi tiết lỗi đã ghi vào tệp nhật ký {log}."
    )
    assert "Traceback" not in alerts[0]["prompt"]
    written = log.read_text(encoding="utf-8")
    assert "Traceback (most recent call last)" in written and "KeyError: 'a fault of ours'" in written
    # the status line on «Kiểm tra» says the same
    status = next(a for a in actions if a["func"] == "setValues" and (a["start_row"], a["start_column"]) == (1, 0))
    assert status["values"] == [[alerts[0]["prompt"]]]


def test_an_unexpected_fault_on_the_server_is_a_vietnamese_alert_and_a_server_log(master, monkeypatch, caplog):
    monkeypatch.setattr(excel, "_consolidate", broken)
    result, _, alerts = xp.run_button(excel.consolidate, master, root=master.parent)
    assert result is None and alerts[0]["mode"] == "critical"
    prompt = alerts[0]["prompt"]
    assert prompt.startswith("Máy chủ gặp lỗi ngoài dự kiến (KeyError, lúc ") and "báo quản trị viên máy chủ" in prompt
    assert "Traceback" not in prompt
    assert "KeyError: 'a fault of ours'" in caplog.text and "a button failed on tong-hop.xlsx" in caplog.text


# ----------------------------------------------------------------------------------------------
# The add-in's JavaScript (addin/tthc.js, as served) in Node, against `tthc-xl serve` on uvicorn
# ----------------------------------------------------------------------------------------------

TOKEN = "Tp-4Qm9vX2rLw8cZk7bN3sHj"
HARNESS = Path(__file__).with_name("addin_harness.js")
ADMIN = "nếu vẫn lỗi, báo quản trị viên máy chủ tthc-xl kèm thời điểm bấm nút"
TOKEN_HELP = "Bấm nút «Mã truy cập» trên tab TTHC, nhập mã do quản trị viên cấp cho đơn vị mình rồi bấm «Lưu mã»."


FAULT = "LOI-MAY-CHU"
SERVE_WITH_A_FAULT = f"""
import sys
from tthc_xl.cli import serve
from tthc_xl.excel import server
opened = server.own_book
def faulty(data):
    if any(sheet.get("name") == "{FAULT}" for sheet in data.get("sheets", [])):
        raise RuntimeError("planted fault")
    return opened(data)
server.own_book = faulty
sys.exit(serve.main(sys.argv[1:]))
"""


@pytest.fixture(scope="module")
def serving(unit_folder, tmp_path_factory):
    """`tthc-xl serve` (uvicorn) on a free port: one token, a 1 MB cap, the unit files in soc-trang/."""
    work = tmp_path_factory.mktemp("addin")
    root = work / "root"
    shutil.copytree(unit_folder, root / "soc-trang")
    (work / "ma.txt").write_text(f"so-tu-phap: {TOKEN}\n", encoding="utf-8")
    port = free_port()
    # The real server, with one fault planted for the 500 scenario: a server error on the workbook
    # that carries a sheet named FAULT (every malformed body is refused with a 400 before that).
    command = serve_command("--folder", str(root), "--port", str(port), "--token-file", str(work / "ma.txt"), "--max-request-mb", "1")
    with serving_on(port, [sys.executable, "-c", SERVE_WITH_A_FAULT, *command[3:]], work / "serve.log") as url:
        yield SimpleNamespace(url=url, work=work)


def served_page(url: str, work: Path) -> dict:
    """What the harness needs from the served task pane: its script, its element ids, its #config."""
    page = httpx.get(f"{url}/taskpane.html").text
    script = work / "tthc.js"
    script.write_text(httpx.get(f"{url}/tthc.js").text, encoding="utf-8")
    config = re.search(r'<script id="config" type="application/json">(.*?)</script>', page).group(1)
    return {"script": str(script), "page": {"ids": re.findall(r'id="([^"]+)"', page), "config": config}}


def mb(path: Path) -> str:
    """The size in MB of the body JSON.stringify sends for the payload in `path`, as the server writes it."""
    body = json.dumps(json.loads(path.read_text(encoding="utf-8")), ensure_ascii=False, separators=(",", ":")).encode()
    return f"{len(body) / 1024 / 1024:.1f}".replace(".", ",")


def run_addin(page: dict, scenarios: list[dict], work: Path) -> dict:
    node = shutil.which("node")
    assert node, "node (v20) is required to run the add-in's JavaScript"
    spec = work / "scenarios.json"
    spec.write_text(json.dumps({**page, "scenarios": scenarios}, ensure_ascii=False), encoding="utf-8")
    result = subprocess.run([node, str(HARNESS), str(spec)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return {r["name"]: r for r in json.loads(result.stdout)}


def test_the_task_pane_shows_every_failure_in_vietnamese(serving, master):
    work = serving.work
    page = served_page(serving.url, work)
    assert {"tthc-error", "config", "status", "tthc-token-form"} <= set(page["page"]["ids"])
    good = xp.payload(master)
    xp.set_name(good, "ThuMucBaoCao", "soc-trang")
    too_big = xp.payload(master)
    too_big["sheets"].append({**too_big["sheets"][0], "name": "Dán", "values": [["x" * 1000] * 20] * 80})  # 1,5 MB
    faulty = xp.payload(master)
    faulty["sheets"].append({**faulty["sheets"][0], "name": FAULT})
    files = {}
    for name, body in (("good", good), ("too_big", too_big), ("not_a_book", {"ten": "bảng tính"}), ("broken", faulty)):
        files[name] = work / f"{name}.json"
        files[name].write_text(json.dumps(body, ensure_ascii=False), encoding="utf-8")
    closed = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    scenario = lambda name, payload="good", token=TOKEN, origin=serving.url, **more: {  # noqa: E731
        "name": name, "origin": origin, "token": token, "script": "consolidate", "payload": str(files[payload]), **more}
    shown = run_addin(page, [
        scenario("ok"),
        scenario("401", token="Tp-4Qm9vX2rLw8cZk7bN3sHX"),
        scenario("no token", token=""),
        scenario("413", payload="too_big"),
        scenario("400", payload="not_a_book"),
        scenario("500", payload="broken"),
        scenario("network", origin=closed),
        scenario("actions", failActions=True),
        scenario("ribbon 401", token="Tp-4Qm9vX2rLw8cZk7bN3sHX", ribbon="tthc-consolidate"),
    ], work)

    ok = shown["ok"]
    assert not ok["shown"] and ok["auth"] == f"Bearer {TOKEN}" and "alert" in ok["actions"] and "setValues" in ok["actions"]
    expected = {
        "401": ("Máy chủ tthc-xl từ chối: chưa có mã truy cập hoặc mã không đúng. Hãy bấm nút «Mã truy cập» trên tab TTHC, "
                "nhập mã do quản trị viên cấp cho đơn vị mình rồi bấm «Lưu mã».", TOKEN_HELP),
        "no token": ("Chưa có mã truy cập máy chủ trên máy này.", TOKEN_HELP),
        "413": (f"Bảng tính gửi lên quá lớn (hơn {mb(files['too_big'])} MB); máy chủ chỉ nhận tối đa 1,0 MB. Hãy xóa bớt các trang tính không cần "
                "trong tệp tổng hợp, hoặc nhờ quản trị viên tăng --max-request-mb.",
                "Xóa bớt các trang tính không cần trong tệp tổng hợp rồi bấm lại nút, hoặc nhờ quản trị viên tăng giới hạn (--max-request-mb)."),
        "400": ("Dữ liệu gửi lên không phải một bảng tính của xlwings.", f"Lưu tệp, đóng rồi mở lại tệp và bấm lại nút; {ADMIN}."),
        "500": ("Máy chủ tthc-xl gặp lỗi khi xử lý (mã lỗi 500).", f"Chờ một lát rồi bấm lại nút; {ADMIN}."),
        "network": ("Không kết nối được máy chủ tthc-xl (mạng bị ngắt, máy chủ đang tắt hoặc bị chặn).",
                    f"Kiểm tra kết nối mạng (hoặc VPN) rồi bấm lại nút; {ADMIN}."),
        "actions": ("Máy chủ đã làm xong nhưng Excel chỉ cập nhật được một phần bảng tính.",
                    f"Bấm lại nút một lần nữa; {ADMIN} (có thể add-in cần cập nhật)."),
    }
    for name, (what, todo) in expected.items():
        assert shown[name]["shown"], name
        assert (shown[name]["what"], shown[name]["todo"]) == (what, todo), name
        assert not shown[name]["taskpaneOpened"], name  # pressed in the task pane: already open
    # the ribbon button: the same message, the task pane opened to show it, the command completed
    ribbon = shown["ribbon 401"]
    assert ribbon["shown"] and ribbon["what"] == expected["401"][0] and ribbon["taskpaneOpened"] and ribbon["completed"]
