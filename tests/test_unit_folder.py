"""«Thư mục báo cáo đơn vị» names one period's folder: a blank or ambiguous folder is refused, and
nested folders are read only when the clerk asks for them (a trailing \\** or /**)."""

import shutil

import pytest
from fastapi.testclient import TestClient

import xlwings_payload as xp

from tthc_xl.cli.app import main
from tthc_xl.excel import buttons as excel
from tthc_xl.excel import server

TOKEN = "Tp-4Qm9vX2rLw8cZk7bN3sHj"


@pytest.fixture(scope="module")
def periods(unit_folder, tmp_path_factory):
    """The server's folder with two months of the 16 units, and a quarter kept as month subfolders.

    root/thang-10-2019/   16 files          root/thang-11-2019/   the same 16 files
    root/quy-4-2019/thang-10/, root/quy-4-2019/thang-11/   8 files each (16 units in the quarter)
    """
    base = tmp_path_factory.mktemp("periods")
    root = base / "root"
    for month in ("thang-10-2019", "thang-11-2019"):
        shutil.copytree(unit_folder, root / month)
    files = sorted(unit_folder.iterdir())
    for i, month in enumerate(("thang-10", "thang-11")):
        (root / "quy-4-2019" / month).mkdir(parents=True)
        for path in files[8 * i: 8 * i + 8]:
            shutil.copy(path, root / "quy-4-2019" / month)
    master = base / "tong-hop.xlsx"
    assert main(["new-master", "--form", "mau-a", "--units", "soc-trang-so-nganh", "-o", str(master)]) == 0
    app = server.create_app(server.ServerSettings(folder=root, tokens={"so-tu-phap": TOKEN}, static_dir=None))
    return root, master, TestClient(app)


def consolidate(client, master, folder):
    data = xp.payload(master)
    xp.set_name(data, "ThuMucBaoCao", folder)
    response = client.post("/xlwings/custom-scripts-call/consolidate", json=data, headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200, response.text
    actions = response.json()["actions"]
    return actions, next(a for a in actions if a["func"] == "alert")["args"][0]


def test_a_blank_folder_on_the_server_is_refused(periods):
    root, master, client = periods
    offered = "ví dụ “thang-11-2019” (các thư mục có trên máy chủ: quy-4-2019, thang-10-2019, thang-11-2019)"
    for blank in ("", "   "):
        actions, message = consolidate(client, master, blank)
        assert [a["func"] for a in actions] == ["setValues", "alert"]  # nothing consolidated, only the status line
        assert message == (
            "Không thực hiện được: ô «Thư mục báo cáo đơn vị» đang để trống. Thư mục đó chứa báo cáo của mọi kỳ nên không "
            f"được đọc cả; hãy ghi tên thư mục của đúng một kỳ báo cáo, {offered}."
        )
    for itself in (".", "thang-10-2019/..", "./"):
        actions, message = consolidate(client, master, itself)
        assert [a["func"] for a in actions] == ["setValues", "alert"], itself
        assert f"ô «Thư mục báo cáo đơn vị» ghi “{itself}”, tức là cả thư mục báo cáo của máy chủ" in message
    _, message = consolidate(client, master, "thang-12-2019")
    assert message == f"Không thực hiện được: máy chủ không có thư mục báo cáo “thang-12-2019”, {offered}."


def test_one_period_is_read_once_and_nested_folders_only_when_asked(periods):
    root, master, client = periods
    actions, message = consolidate(client, master, "thang-10-2019")
    assert message.startswith("Đã tổng hợp 16/16 đơn vị vào trang “Phụ lục I”: 7 lỗi"), message  # not 23: once each
    # the quarter keeps its months in subfolders: which one? the clerk is asked
    actions, message = consolidate(client, master, "quy-4-2019")
    assert [a["func"] for a in actions] == ["setValues", "alert"]
    assert message == (
        "Không thực hiện được: thư mục “quy-4-2019” không có tệp báo cáo nào, chỉ có các thư mục con (thang-10, thang-11). "
        "Hãy ghi tên thư mục của đúng một kỳ, ví dụ “quy-4-2019/thang-11”, hoặc ghi “quy-4-2019/**” để đọc cả các thư mục con."
    )
    _, message = consolidate(client, master, "quy-4-2019\\thang-10")  # a Windows path on the Linux server
    assert message.startswith("Đã tổng hợp 8/16 đơn vị"), message
    _, message = consolidate(client, master, "quy-4-2019\\**")
    assert message.startswith("Đã tổng hợp 16/16 đơn vị"), message


def test_the_desktop_reads_the_named_folder_without_its_subfolders(periods, tmp_path):
    root, master, _ = periods
    path = tmp_path / "m.xlsx"
    shutil.copy(master, path)
    (root / "thang-10-2019" / "cu").mkdir(exist_ok=True)
    shutil.copy(root / "thang-11-2019" / sorted(p.name for p in (root / "thang-11-2019").iterdir())[0], root / "thang-10-2019" / "cu")
    try:
        outcome, _, alerts = xp.run_button(excel.consolidate, path, edit=lambda d: xp.set_name(d, "ThuMucBaoCao", str(root / "thang-10-2019")))
        assert alerts[0]["prompt"].startswith("Đã tổng hợp 16/16 đơn vị") and len(outcome.sources) == 16  # cu/ is not read
        assert "chỉ có các thư mục con" not in alerts[0]["prompt"]
        _, _, alerts = xp.run_button(excel.consolidate, path, edit=lambda d: xp.set_name(d, "ThuMucBaoCao", str(root / "quy-4-2019")))
        assert f"thư mục “{root / 'quy-4-2019'}” không có tệp báo cáo nào, chỉ có các thư mục con (thang-10, thang-11)" in alerts[0]["prompt"]
        assert alerts[0]["mode"] == "critical"
    finally:
        shutil.rmtree(root / "thang-10-2019" / "cu")
