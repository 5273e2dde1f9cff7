"""`tthc-xl serve`: the xlwings Server endpoints answer real HTTP requests with the buttons' actions,
and only for the clerks holding a token, from the Office origins, within the size cap and the folder."""

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace

import httpx
import openpyxl
import pytest
from fastapi.testclient import TestClient

import xlwings_payload as xp

from tthc_xl.cli import serve
from tthc_xl.excel import server
from tthc_xl.cli.app import main

SHEET = "Phụ lục I"
TOKENS = {"so-tu-phap": "Tp-4Qm9vX2rLw8cZk7bN3sHj", "van-phong-ubnd": "Ub_7yT1pR5eWq0aDg6fVx9Kc"}
PUBLIC = "https://tthc.example.gov.vn"
MAX_MB = 3


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def server_env(**extra) -> dict:
    """The environment for a `tthc-xl serve` subprocess: the licence key, none of the caller's TTHC_XL_*."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("TTHC_XL_")}
    return {**env, "XLWINGS_LICENSE_KEY": "noncommercial", **extra}


def serve_command(*args) -> list[str]:
    return [sys.executable, "-m", "tthc_xl.cli.serve", "serve", *args]


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def blank_master(tmp_path_factory):
    path = tmp_path_factory.mktemp("server") / "tong-hop.xlsx"
    assert main(["new-master", "--form", "mau-a", "--units", "soc-trang-so-nganh", "-o", str(path)]) == 0
    return path


@pytest.fixture(scope="module")
def server_root(unit_folder, tmp_path_factory):
    """The server's folder, with the ways out a workbook setting could try, and a folder outside it.

    root/soc-trang/      the 16 unit files (the period the clerk consolidates)
    root/mot-don-vi/     Sở Thông tin's file, and ngoai.xlsx: a link to Sở Công Thương's file outside
    root/ra-ngoai        a link to the outside folder
    outside/             the 16 unit files too: any of them read would show in the counts
    """
    base = tmp_path_factory.mktemp("confined")
    root, outside = base / "root", base / "outside"
    shutil.copytree(unit_folder, root / "soc-trang")
    shutil.copytree(unit_folder, outside)
    (root / "mot-don-vi").mkdir()
    shutil.copy(unit_folder / "01_so-thong-tin.xlsx", root / "mot-don-vi")
    (root / "mot-don-vi" / "ngoai.xlsx").symlink_to(outside / "02_so-cong-thuong.xlsx")
    (root / "ra-ngoai").symlink_to(outside, target_is_directory=True)
    return SimpleNamespace(root=root, outside=outside, units=unit_folder)


@pytest.fixture(scope="module")
def running(server_root, tmp_path_factory):
    """`tthc-xl serve` in a subprocess on a free port: two clerks' tokens in a token file, the public
    URL for CORS, a 3 MB cap; started once for the module."""
    port = free_port()
    folder = tmp_path_factory.mktemp("log")
    token_file = folder / "tokens.txt"
    token_file.write_text("# mỗi dòng một đơn vị\n" + "".join(f"{k}: {v}\n" for k, v in TOKENS.items()), encoding="utf-8")
    log = folder / "serve.log"
    command = serve_command("--folder", str(server_root.root), "--port", str(port), "--token-file", str(token_file),
                            "--public-url", PUBLIC, "--max-request-mb", str(MAX_MB))
    with serving_on(port, command, log) as url:
        yield SimpleNamespace(url=url, port=port, log=log)


@contextmanager
def serving_on(port: int, command: list[str], log: Path):
    """`command` (a `tthc-xl serve`) started, its output in `log`, until /health answers; its URL; stopped after."""
    with open(log, "w") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=server_env())
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


def call(running, script, data, token=TOKENS["so-tu-phap"], **kwargs):
    headers = bearer(token) if token else {}
    return httpx.post(f"{running.url}/xlwings/custom-scripts-call/{script}", json=data, headers=headers, timeout=120, **kwargs)


def consolidate_in(running, master: Path, folder: str) -> list[dict]:
    data = xp.payload(master)
    xp.set_name(data, "ThuMucBaoCao", folder)
    response = call(running, "consolidate", data)
    assert response.status_code == 200, response.text
    return response.json()["actions"]


def test_serve_answers_consolidate_over_http(running, blank_master, tmp_path):
    path = tmp_path / "m.xlsx"
    shutil.copy(blank_master, path)
    actions = consolidate_in(running, path, "soc-trang")
    body = next(a for a in actions if a["func"] == "setValues" and a["sheet_position"] == 0 and a["start_row"] == 8)
    assert body["values"][20 - 9][:6] == [12, "Sở Tư pháp", "=D20+E20", 181, 664, "=G20+H20+I20"]
    alert = next(a for a in actions if a["func"] == "alert")
    assert alert["args"][0].startswith("Đã tổng hợp 16/16 đơn vị vào trang “Phụ lục I”: 7 lỗi")
    book = openpyxl.load_workbook(path)
    xp.apply_actions(book, actions)
    sheet = book[SHEET]
    assert sheet["C25"].value == "=SUM(C9:C24)" and sheet["F11"].value == 40
    assert "Sở Giáo dục và Đào tạo" in sheet["F11"].comment.text


def test_script_calls_need_a_right_token(running, blank_master):
    data = xp.payload(blank_master)
    for headers in ({}, bearer("Tp-4Qm9vX2rLw8cZk7bN3sHX"), {"Authorization": "Bearer"}, bearer(TOKENS["so-tu-phap"][:-1]),
                    {"Authorization": TOKENS["so-tu-phap"]}, {"Authorization": f"Basic {TOKENS['so-tu-phap']}"}):
        response = httpx.post(f"{running.url}/xlwings/custom-scripts-call/clear_marks", json=data, headers=headers, timeout=30)
        assert response.status_code == 401, headers
        assert response.headers["www-authenticate"] == "Bearer"
        assert response.json() == {"detail": server.UNAUTHORIZED}
        assert "mã truy cập" in response.json()["detail"] and "«Mã truy cập»" in response.json()["detail"]
    for token in TOKENS.values():  # every clerk's token works, with any case of "bearer"
        response = httpx.post(f"{running.url}/xlwings/custom-scripts-call/clear_marks", json=data,
                              headers={"Authorization": f"bearer {token}"}, timeout=30)
        assert response.status_code == 200 and isinstance(response.json()["actions"], list)
    # the unknown script and the body that is not JSON are answered only to a clerk with a token
    assert call(running, "xoa_tat_ca", data, token=None).status_code == 401
    assert call(running, "xoa_tat_ca", data).status_code == 404
    assert httpx.post(f"{running.url}/xlwings/custom-scripts-call/check", content=b"not json", headers=bearer(TOKENS["so-tu-phap"])).status_code == 400
    assert "refused a script call without a valid token" in running.log.read_text()


def test_unit_files_are_read_only_under_the_configured_folder(running, server_root, blank_master, tmp_path):
    path = tmp_path / "m.xlsx"
    shutil.copy(blank_master, path)
    outside = server_root.outside
    for setting in ("..", "../outside", "soc-trang/../../outside", str(outside), str(server_root.units), "ra-ngoai", "/etc"):
        actions = consolidate_in(running, path, setting)
        # nothing consolidated: only the status line on "Kiểm tra" and the message
        assert [a["func"] for a in actions] == ["setValues", "alert"], setting
        assert actions[0]["sheet_position"] == 1 and (actions[0]["start_row"], actions[0]["start_column"]) == (1, 0)
        message = actions[1]["args"][0]
        assert f"thư mục “{setting}” nằm ngoài thư mục báo cáo của máy chủ" in message
        assert "chỉ ghi tên một thư mục con" in message
        assert any(setting in str(v) for row in actions[0]["values"] for v in row)
    # a link inside the folder to a unit file outside it is not read: one unit of two
    actions = consolidate_in(running, path, "mot-don-vi")
    alert = next(a for a in actions if a["func"] == "alert")["args"][0]
    assert alert.startswith("Đã tổng hợp 1/16 đơn vị"), alert
    assert "15 đơn vị chưa gửi báo cáo" in alert


def test_cors_answers_only_the_office_hosts_and_the_public_url(running):
    url = f"{running.url}/xlwings/custom-scripts-call/consolidate"
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization,content-type"}
    for origin in (PUBLIC, "https://excel.officeapps.live.com", "https://usc-excel.officeapps.live.com", "https://excel.cloud.microsoft"):
        response = httpx.options(url, headers={"Origin": origin, **preflight})
        assert response.status_code == 200, origin
        assert response.headers["access-control-allow-origin"] == origin
        assert "POST" in response.headers["access-control-allow-methods"]
        assert "authorization" in response.headers["access-control-allow-headers"].lower()
        assert "access-control-allow-credentials" not in response.headers
    for origin in ("https://evil.example", "http://excel.officeapps.live.com", "https://officeapps.live.com.evil.example",
                   "https://evilofficeapps.live.com", "https://tthc.example.gov.vn.evil.example", "null"):
        response = httpx.options(url, headers={"Origin": origin, **preflight})
        assert response.status_code == 400, origin
        assert "access-control-allow-origin" not in response.headers, origin  # the browser then blocks the call
        assert response.text == "Disallowed CORS origin"
    # the refusal a browser on Excel on the web gets is readable there (CORS headers on the 401), not elsewhere
    refused = httpx.post(url, json={}, headers={"Origin": "https://excel.officeapps.live.com"})
    assert refused.status_code == 401 and refused.headers["access-control-allow-origin"] == "https://excel.officeapps.live.com"
    refused = httpx.post(url, json={}, headers={"Origin": "https://evil.example"})
    assert refused.status_code == 401 and "access-control-allow-origin" not in refused.headers


def raw_request(port: int, head: str, body_chunks=()) -> tuple[int, dict, bytes]:
    """Send a request over a plain socket (the body as it comes, maybe never) and read the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(head.encode("ascii"))
        try:
            for chunk in body_chunks:
                sock.sendall(chunk)
        except (BrokenPipeError, ConnectionResetError):  # the server answered and stopped reading: read the answer
            pass
        answer = b""
        while b"\r\n\r\n" not in answer or len(answer.split(b"\r\n\r\n", 1)[1]) < int(
            dict(line.split(b": ", 1) for line in answer.split(b"\r\n\r\n")[0].split(b"\r\n")[1:]).get(b"content-length", b"0")
        ):
            data = sock.recv(65536)
            if not data:
                break
            answer += data
    head_bytes, _, body = answer.partition(b"\r\n\r\n")
    lines = head_bytes.decode("latin-1").split("\r\n")
    headers = {k.lower(): v for k, v in (line.split(": ", 1) for line in lines[1:])}
    return int(lines[0].split()[1]), headers, body


def test_an_oversized_body_is_refused_before_it_is_read(running, blank_master):
    path = "/xlwings/custom-scripts-call/consolidate"
    auth = f"Authorization: Bearer {TOKENS['so-tu-phap']}\r\n"
    size = (MAX_MB + 1) * 1024 * 1024
    # a declared length over the cap: 413 at once, before a byte of the body is sent
    started = time.monotonic()
    status, headers, body = raw_request(
        running.port, f"POST {path} HTTP/1.1\r\nHost: x\r\n{auth}Content-Type: application/json\r\nContent-Length: {size}\r\n\r\n")
    assert status == 413 and time.monotonic() - started < 10
    detail = json.loads(body)["detail"]
    assert detail.startswith("Bảng tính gửi lên quá lớn") and f"tối đa {MAX_MB},0 MB" in detail
    # a streamed (chunked) body with no length: counted as it arrives, 413 once past the cap
    piece = b"[" + b"0," * (256 * 1024) + b"0]"
    chunks = [f"{len(piece):x}\r\n".encode() + piece + b"\r\n"] * (size // len(piece) + 1) + [b"0\r\n\r\n"]
    status, headers, body = raw_request(
        running.port, f"POST {path} HTTP/1.1\r\nHost: x\r\n{auth}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n", chunks)
    assert status == 413 and json.loads(body)["detail"].startswith("Bảng tính gửi lên quá lớn")
    # the same through an ordinary client: a real workbook of 4 MB, sent whole, then streamed
    data = xp.payload(blank_master)
    data["sheets"][0]["values"].append(["x" * 1000] * 4200)
    response = call(running, "consolidate", data)
    assert response.status_code == 413 and "quá lớn" in response.json()["detail"]
    encoded = json.dumps(data).encode()
    response = httpx.post(f"{running.url}{path}", content=(encoded[i:i + 65536] for i in range(0, len(encoded), 65536)),
                          headers={**bearer(TOKENS["so-tu-phap"]), "Content-Type": "application/json"}, timeout=60)
    assert response.status_code == 413 and "quá lớn" in response.json()["detail"]
    # and the server still answers a workbook within the cap
    assert call(running, "clear_marks", xp.payload(blank_master)).status_code == 200


def test_serve_refuses_to_start_without_tokens(server_root, tmp_path):
    folder = str(server_root.root)
    result = subprocess.run(serve_command("--folder", folder, "--port", str(free_port())), capture_output=True, text=True,
                            env=server_env(), timeout=60)
    assert result.returncode == 2 and "Chưa có mã truy cập nào nên máy chủ không chạy" in result.stderr
    assert "--token-file" in result.stderr and "tthc-xl serve --new-token" in result.stderr
    result = subprocess.run(serve_command("--folder", folder, "--no-auth", "--host", "0.0.0.0"), capture_output=True, text=True,
                            env=server_env(), timeout=60)
    assert result.returncode == 2 and "--no-auth chỉ dùng khi thử trên chính máy này" in result.stderr
    result = subprocess.run(serve_command("--folder", folder), capture_output=True, text=True, env=server_env(TTHC_XL_TOKEN="matkhau"), timeout=60)
    assert result.returncode == 2 and "Mã truy cập thứ 1 (biến TTHC_XL_TOKEN) không dùng được" in result.stderr
    result = subprocess.run(serve_command("--new-token"), capture_output=True, text=True, env=server_env(), timeout=60)
    assert result.returncode == 0 and len(result.stdout.strip()) >= 40
    assert server.parse_tokens([result.stdout], "stdout") == {"stdout, mã 1": result.stdout.strip()}
    # the app itself will not be built without tokens either
    with pytest.raises(server.ConfigError, match="Chưa có mã truy cập"):
        server.create_app(server.ServerSettings(folder=server_root.root))
    with pytest.raises(server.ConfigError, match="--no-auth"):
        server.create_app(server.ServerSettings(folder=server_root.root, host="0.0.0.0", no_auth=True))
    for host in ("127.0.0.1", "localhost", "::1", "127.0.0.2"):
        assert server.is_loopback(host)
    for host in ("0.0.0.0", "::", "10.0.0.5", "tthc.example.gov.vn"):
        assert not server.is_loopback(host)


def test_no_auth_serves_a_loopback_development_run(server_root, blank_master):
    settings = server.settings_from(argparse.Namespace(folder=str(server_root.root), no_auth=True), environ={})
    assert settings.no_auth and settings.host == "127.0.0.1"
    client = TestClient(server.create_app(settings))
    assert client.post("/xlwings/custom-scripts-call/clear_marks", json=xp.payload(blank_master)).status_code == 200
    assert client.get("/health").json()["auth"] is False


def test_settings_come_from_a_config_file_and_the_licence_key_is_required(unit_folder, tmp_path):
    config = tmp_path / "tthc-xl.env"
    token_file = tmp_path / "ma.txt"
    token_file.write_text(f"\ufeffSở Tư pháp: {TOKENS['so-tu-phap']}\n\n# cũ: Xx\n", encoding="utf-8")
    config.write_text(
        f"# máy chủ\nTTHC_XL_FOLDER={unit_folder}\nTTHC_XL_PORT=8123\nTTHC_XL_PUBLIC_URL=https://tthc.example.gov.vn/tthc\n"
        f"TOKEN=van-phong: {TOKENS['van-phong-ubnd']}\nTOKEN=Cq8-ZmV1tY4nWs2xLp6kRb\nTTHC_XL_TOKEN_FILE={token_file}\n"
        "TTHC_XL_MAX_REQUEST_MB=7.5\n",
        encoding="utf-8",
    )
    settings = server.settings_from(argparse.Namespace(config=str(config)), environ={"TTHC_XL_TOKEN": "Ev-0hQ3jN8uD5gA2sF7wZx"})
    assert (settings.folder, settings.port, settings.base_url) == (unit_folder.resolve(), 8123, "https://tthc.example.gov.vn/tthc")
    assert settings.cors_origins == ["https://tthc.example.gov.vn"]
    assert settings.max_request_bytes == int(7.5 * 1024 * 1024)
    assert settings.tokens == {
        "Sở Tư pháp": TOKENS["so-tu-phap"],
        "biến TTHC_XL_TOKEN, mã 1": "Ev-0hQ3jN8uD5gA2sF7wZx",
        "van-phong": TOKENS["van-phong-ubnd"],
        "dòng TOKEN= của tệp cấu hình, mã 2": "Cq8-ZmV1tY4nWs2xLp6kRb",
    }
    default = server.settings_from(argparse.Namespace(folder=str(unit_folder)), environ={"TTHC_XL_TOKEN": TOKENS["so-tu-phap"]})
    assert default.max_request_bytes == 20 * 1024 * 1024 and default.tokens == {"biến TTHC_XL_TOKEN, mã 1": TOKENS["so-tu-phap"]}
    with pytest.raises(server.ConfigError, match="TTHC_XL_FOLDER"):
        server.settings_from(argparse.Namespace(), environ={})
    with pytest.raises(server.ConfigError, match="không tìm thấy tệp mã truy cập|Không tìm thấy tệp mã truy cập"):
        server.settings_from(argparse.Namespace(folder=str(unit_folder), token_file=str(tmp_path / "khong-co.txt")), environ={})
    with pytest.raises(server.ConfigError, match="--max-request-mb"):
        server.settings_from(argparse.Namespace(folder=str(unit_folder), max_request_mb=-1), environ={"TTHC_XL_TOKEN": TOKENS["so-tu-phap"]})
    env = {k: v for k, v in server_env(TTHC_XL_TOKEN=TOKENS["so-tu-phap"]).items() if k != "XLWINGS_LICENSE_KEY"}
    env["HOME"] = str(tmp_path)  # no ~/.xlwings/xlwings.conf either
    result = subprocess.run(serve_command("--folder", str(unit_folder)), capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 2 and "XLWINGS_LICENSE_KEY=noncommercial" in result.stderr


def test_serve_lists_its_scripts_and_serves_the_public_pages(running):
    meta = httpx.get(f"{running.url}/xlwings/custom-scripts-meta.json").json()
    assert {m["function_name"]: m["name"] for m in meta} == {"consolidate": "Tổng hợp", "check": "Kiểm tra", "clear_marks": "Xóa đánh dấu"}
    manifest = httpx.get(f"{running.url}/manifest.xml").text
    for label in ("Tổng hợp", "Kiểm tra", "Xóa đánh dấu", "Mã truy cập"):
        assert f'DefaultValue="{label}"' in manifest
    assert "https://localhost:8000" not in manifest and f"{PUBLIC}/taskpane.html" in manifest
    taskpane = httpx.get(f"{running.url}/taskpane.html").text
    assert 'data-tthc-script="consolidate"' in taskpane and 'id="tthc-token"' in taskpane and "Lưu mã" in taskpane
    assert '<div id="tthc-error" role="alert" hidden>' in taskpane
    script = httpx.get(f"{running.url}/tthc.js").text
    assert "globalThis.getAuth" in script and '"Bearer " + tthcToken()' in script and "localStorage" in script
    health = httpx.get(f"{running.url}/health").json()
    assert health["status"] == "ok" and health["auth"] is True and "folder" not in health
    assert httpx.get(f"{running.url}/docs").status_code == 404


def test_serve_and_doctor_register_as_subcommands():
    from tthc_xl.cli import doctor

    parser = argparse.ArgumentParser()
    commands = parser.add_subparsers(dest="command")
    serve.add_commands(commands)
    doctor.add_commands(commands)
    args = parser.parse_args(["serve", "--folder", "bao-cao", "--port", "9000"])
    assert args.run is serve.cmd_serve and args.port == 9000
    assert parser.parse_args(["doctor"]).run is doctor.cmd_doctor


def test_doctor_reports_the_install(tmp_path, capsys):
    from tthc_xl.cli import doctor

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


# --------------------------------------------------------------------------------------
# One request, one workbook; every path inside the folder; malformed requests; no server paths
# --------------------------------------------------------------------------------------


def with_setting(data: dict, name: str, value, ref: str = "B20") -> dict:
    """A setting typed into the workbook: its defined name added on "Cài đặt" when the master has none."""
    if not any(n["name"] == name for n in data["names"]):
        index = next(i for i, s in enumerate(data["sheets"]) if s["name"] == "Cài đặt")
        data["names"].append({"name": name, "refers_to": f"='Cài đặt'!${ref[0]}${ref[1:]}", "type": "Range", "sheet_index": index,
                              "address": ref, "scope_sheet_name": None, "scope_sheet_index": None, "book_scope": True})
    xp.set_name(data, name, value)
    return data


def alerts(actions: list[dict]) -> list[str]:
    return [a["args"][0] for a in actions if a["func"] == "alert"]


def test_fifty_parallel_requests_each_get_only_their_own_books_actions(running, server_root, blank_master):
    """50 requests at once, on 16 folders holding 1 … 16 unit files: each answer is the answer the same
    request gets alone (one alert, its own count, its own protect and page-layout macro calls)."""
    from concurrent.futures import ThreadPoolExecutor

    files = sorted((server_root.root / "soc-trang").iterdir())
    for k in range(1, 17):
        folder = server_root.root / "dong-thoi" / f"k{k:02}"
        folder.mkdir(parents=True, exist_ok=True)
        for path in files[:k]:
            shutil.copy(path, folder / path.name)
    requests = [xp.payload(blank_master) for _ in range(50)]
    for i, data in enumerate(requests):
        xp.set_name(data, "ThuMucBaoCao", f"dong-thoi/k{i % 16 + 1:02}")
    alone = {}
    for k in range(1, 17):
        response = call(running, "consolidate", requests[k - 1])
        assert response.status_code == 200, response.text
        alone[k] = response.json()["actions"]
        assert alerts(alone[k]) and alerts(alone[k])[0].startswith(f"Đã tổng hợp {k}/16 đơn vị")
        # unprotect, protect, and the page layout of "Phụ lục I" and of "Kiểm tra"
        assert len(alerts(alone[k])) == 1 and sum(a["func"] == "runMacro" for a in alone[k]) == 4
    with ThreadPoolExecutor(50) as pool:
        answers = list(pool.map(lambda data: call(running, "consolidate", data), requests))
    for i, response in enumerate(answers):
        assert response.status_code == 200, response.text
        assert response.json()["actions"] == alone[i % 16 + 1], i
    assert httpx.get(f"{running.url}/health").status_code == 200


def test_the_unit_list_a_workbook_names_is_read_only_inside_the_folder(running, server_root, blank_master, tmp_path):
    units = server_root.root / "danh-sach.csv"
    units.write_text("nhom,ten,bi_danh\nSở,Sở Tư pháp,\n", encoding="utf-8")
    outside = server_root.outside.parent / "ngoai.csv"
    outside.write_text("nhom,ten,bi_danh\nSở,Đơn vị ngoài thư mục,\n", encoding="utf-8")
    (server_root.root / "ds-ngoai.csv").symlink_to(outside)
    (server_root.root / "ds-thu-muc.csv").mkdir()
    big = server_root.root / "ds-lon.csv"
    big.write_text("nhom,ten,bi_danh\n" + "Sở,Sở Tư pháp,\n" * 200_000, encoding="utf-8")
    for setting, words in ((str(outside), "nằm ngoài thư mục"), ("../ngoai.csv", "nằm ngoài thư mục"), ("ds-ngoai.csv", "nằm ngoài thư mục"),
                           ("/etc/shadow", "nằm ngoài thư mục"), ("/dev/zero", "nằm ngoài thư mục"), ("ds-thu-muc.csv", "không phải một tệp"),
                           ("ds-lon.csv", "quá lớn"), ("khong-co.csv", "không phải một tệp")):
        data = with_setting(xp.payload(blank_master), "DanhSachDonVi", setting)
        xp.set_name(data, "ThuMucBaoCao", "soc-trang")
        started = time.monotonic()
        response = call(running, "consolidate", data)
        assert response.status_code == 200 and time.monotonic() - started < 30, setting
        message = alerts(response.json()["actions"])
        assert len(message) == 1 and words in message[0] and setting in message[0], (setting, message)
        assert "Đơn vị ngoài thư mục" not in response.text
    data = with_setting(xp.payload(blank_master), "DanhSachDonVi", "danh-sach.csv")
    xp.set_name(data, "ThuMucBaoCao", "soc-trang")
    answer = call(running, "consolidate", data).json()["actions"]
    assert alerts(answer)[0].startswith("Đã tổng hợp 1/1 đơn vị"), alerts(answer)  # the list inside the folder is used


@pytest.mark.parametrize("change, words", [
    (lambda data: xp.set_name(data, "ThuMucBaoCao", "soc\x00trang"), "ký tự điều khiển"),
    (lambda data: xp.set_name(data, "ThuMucBaoCao", "a" * 5000), "dài 5000 ký tự"),
    (lambda data: with_setting(data, "DanhSachDonVi", "b" * 300 + ".csv"), "«Danh sách đơn vị» dài 304 ký tự"),
    (lambda data: data.update(sheets={"a": 1}), "không phải một bảng tính của xlwings"),
    (lambda data: data["sheets"][0].update(values=7), "không phải một bảng tính của xlwings"),
    (lambda data: data.pop("book"), "không phải một bảng tính của xlwings"),
    (lambda data: data["sheets"].append("Sheet2"), "không phải một bảng tính của xlwings"),
    (lambda data: data["sheets"][0]["values"].append("hàng"), "không phải một bảng tính của xlwings"),
])
def test_a_malformed_request_gets_400_in_vietnamese(running, blank_master, change, words):
    data = xp.payload(blank_master)
    change(data)
    response = call(running, "consolidate", data)
    assert response.status_code == 400, response.text
    assert words in response.json()["detail"]
    for body in (b"{not json", b"\xff\xfe{}", json.dumps([1, 2]).encode(), b"[" * 100_000):
        response = httpx.post(f"{running.url}/xlwings/custom-scripts-call/consolidate", content=body,
                              headers={**bearer(TOKENS["so-tu-phap"]), "Content-Type": "application/json"})
        assert response.status_code == 400 and re.search("JSON|bảng tính của xlwings", response.json()["detail"])


def test_answers_carry_no_path_of_the_server(running, server_root, blank_master):
    data = xp.payload(blank_master)
    xp.set_name(data, "ThuMucBaoCao", "soc-trang")
    text = call(running, "consolidate", data).text
    assert "16/16" in text
    assert "file:" not in text and str(server_root.root) not in text and str(server_root.root.parent) not in text
    assert "01_so-thong-tin.xlsx" in text  # the files read are still named


def test_a_file_that_stops_calamine_costs_that_file_only_on_the_server(running, server_root, blank_master, tmp_path):
    import bad_inputs

    folder = server_root.root / "tep-doc"
    shutil.copytree(server_root.root / "soc-trang", folder)
    for name in ("shared_strings_count_abort", "ods_table_never_closed", "ods_repeat_bomb"):
        bad_inputs.CASES[name](folder)
    data = xp.payload(blank_master)
    xp.set_name(data, "ThuMucBaoCao", "tep-doc")
    started = time.monotonic()
    response = call(running, "consolidate", data)
    assert response.status_code == 200 and time.monotonic() - started < 10
    message = alerts(response.json()["actions"])[0]
    assert message.startswith("Đã tổng hợp 16/16 đơn vị") and "3 tệp không dùng được" in message, message
    for words in ("4.294.967.295 chuỗi ký tự", "thiếu phần kết thúc", "100.000.000 ô"):
        assert words in response.text
    assert httpx.get(f"{running.url}/health").status_code == 200
