"""Layouts a clerk owns: `--form` takes a name or a .toml path, clerk folders, `forms --from`, the master remembers."""

import json

import openpyxl
from test_layout_inference import UNITS_13, write_13

from tthc_xl.cli.app import main
from tthc_xl.core.layouts import load_layout
from tthc_xl.files.read import read_file


def cells(table):
    return [(r.kind, r.label, r.unit, r.label_ref, [(n, c.ref, c.value, c.raw) for n, c in sorted(r.cells.items())]) for r in table.rows]


def test_forms_from_writes_a_layout_file_that_reads_the_same_table_back_identically(tmp_path, layouts, capsys):
    source = write_13(tmp_path / "xa.xlsx")
    target = tmp_path / "mau-tinh-y.toml"
    assert main(["forms", "--from", str(source), "-o", str(target)]) == 0
    printed = capsys.readouterr().out
    assert f"Đã ghi mẫu biểu {target}" in printed and "(3) = (4) + (5) + (6) + (7)" in printed
    written = load_layout(target)
    assert written.name == "mau-tinh-y" and not written.inferred
    (inferred,) = read_file(source, layouts).tables
    (again,) = read_file(source, {written.name: written}, form=written.name).tables
    assert again.layout is written
    assert cells(again) == cells(inferred)
    assert written.signature == inferred.layout.signature and written.percent == inferred.layout.percent
    # The clerk's file through the command line, by its path.
    assert main(["check", str(source), "--form", str(target)]) == 0
    assert "Mẫu biểu: mau-tinh-y. 0 lỗi" in capsys.readouterr().out


def test_forms_from_a_table_that_fits_nothing_writes_its_columns_for_the_clerk_to_complete(tmp_path, capsys):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["STT", "Đơn vị", "Chỉ tiêu A", "Chỉ tiêu B", "Chỉ tiêu C", "Chỉ tiêu D"])
    sheet.append([1, 2, 3, 4, 5, 6])
    sheet.append([1, "Xã A", 9, 4, 3, 2])
    source = tmp_path / "la.xlsx"
    book.save(source)
    target = tmp_path / "mau-la.toml"
    assert main(["forms", "--from", str(source), "-o", str(target)]) == 0
    assert "chưa có quy tắc nào" in capsys.readouterr().out
    text = target.read_text(encoding="utf-8")
    assert '# rule = "3 = 4 + 5"' in text and 'header = ["Chỉ tiêu A"]' in text
    target.write_text(text + '\n[[rules]]\nrule = "3 = 4 + 5 + 6"\n', encoding="utf-8")
    assert main(["check", str(source), "--form", str(target)]) == 0
    assert "Mẫu biểu: mau-la. 0 lỗi" in capsys.readouterr().out


def test_layouts_in_the_clerks_folders_are_found_by_name(tmp_path, monkeypatch, capsys):
    source = write_13(tmp_path / "xa.xlsx")
    user = tmp_path / "cau-hinh"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(user))
    (user / "tthc-xl" / "mau-bieu").mkdir(parents=True)
    assert main(["forms", "--from", str(source), "-o", str(user / "tthc-xl" / "mau-bieu" / "mau-xa.toml")]) == 0
    capsys.readouterr()
    assert main(["forms"]) == 0
    assert "mau-xa\t13 cột" in capsys.readouterr().out
    assert main(["check", str(source), "--form", "mau-xa"]) == 0
    # Beside the master: a folder mau-bieu/ next to it.
    work = tmp_path / "tong-hop"
    (work / "mau-bieu").mkdir(parents=True)
    (user / "tthc-xl" / "mau-bieu" / "mau-xa.toml").rename(work / "mau-bieu" / "mau-xa.toml")
    assert main(["consolidate", str(source), "--form", "mau-xa", "-o", str(work / "th.xlsx")]) == 0


def test_the_master_remembers_its_layout_file_and_a_rerun_uses_it(tmp_path, capsys):
    folder = tmp_path / "don-vi"
    folder.mkdir()
    for index, unit in enumerate(UNITS_13):
        write_13(folder / f"{index}.xlsx", units=[unit])
    layout = tmp_path / "mau" / "mau-xa.toml"
    layout.parent.mkdir()
    assert main(["forms", "--from", str(folder / "0.xlsx"), "-o", str(layout)]) == 0
    master = tmp_path / "th.xlsx"
    assert main(["consolidate", str(folder), "--form", str(layout), "-o", str(master)]) == 0
    book = openpyxl.load_workbook(master)
    (sheet, ref), = book.defined_names["MauBieu"].destinations
    assert book[sheet][ref.replace("$", "")].value == str(layout.resolve())
    out = tmp_path / "kq.json"
    capsys.readouterr()
    assert main(["consolidate", str(folder), "-o", str(master), "--json", str(out)]) == 0
    assert "Mẫu biểu: mau-xa." in capsys.readouterr().out
    assert json.loads(out.read_text(encoding="utf-8"))["form"] == "mau-xa"


def test_a_master_built_with_an_inferred_layout_is_consolidated_again_with_it(tmp_path, capsys):
    folder = tmp_path / "don-vi"
    folder.mkdir()
    for index, unit in enumerate(UNITS_13):
        write_13(folder / f"{index}.xlsx", units=[unit])
    master = tmp_path / "th.xlsx"
    assert main(["consolidate", str(folder), "-o", str(master)]) == 0
    book = openpyxl.load_workbook(master)
    (sheet, ref), = book.defined_names["MauBieu"].destinations
    assert book[sheet][ref.replace("$", "")].value.startswith("suy-ra-tieu-de-cot (mẫu suy ra từ tiêu đề cột: ")
    out = tmp_path / "kq.json"
    assert main(["consolidate", str(folder), "-o", str(master), "--json", str(out)]) == 0
    data = json.loads(out.read_text(encoding="utf-8"))
    assert [s["status"] for s in data["sources"]] == ["ok"] * 3 and data["findings"] == []
    assert data["totals"]["3"] == sum(v[0] for _, v in UNITS_13)


def test_the_per_user_layout_folder_on_windows_is_under_appdata(tmp_path, monkeypatch):
    from tthc_xl.core import layouts

    monkeypatch.setattr(layouts.sys, "platform", "win32")
    monkeypatch.setenv("APPDATA", str(tmp_path / "AppData" / "Roaming"))
    assert layouts.user_layout_dir() == tmp_path / "AppData" / "Roaming" / "tthc-xl" / "mau-bieu"
    monkeypatch.setattr(layouts.sys, "platform", "linux")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    assert layouts.user_layout_dir() == tmp_path / "cfg" / "tthc-xl" / "mau-bieu"


def test_a_remembered_inferred_layout_is_inferred_again_and_an_unknown_name_refused(layouts):
    import pytest

    from tthc_xl.core.layouts import LayoutError, resolve_form

    known = dict(layouts)
    assert resolve_form("suy-ra-tieu-de-cot (mẫu suy ra từ tiêu đề cột: (3) = (4) + (5))", known) is None
    assert resolve_form("mau-b", known) == "mau-b"
    with pytest.raises(LayoutError, match="Không có mẫu biểu “mau-z”"):
        resolve_form("mau-z", known)
    with pytest.raises(LayoutError, match="Không tìm thấy tệp mẫu biểu mau/khong-co.toml"):
        resolve_form("mau/khong-co.toml", known)


def test_every_shipped_layout_written_as_a_file_loads_back_the_same(layouts, tmp_path):
    from tthc_xl.core.layouts import layout_to_toml

    for name, layout in layouts.items():
        path = tmp_path / f"{name}.toml"
        path.write_text(layout_to_toml(layout, origin="x.xlsx"), encoding="utf-8")
        again = load_layout(path)
        assert (again.name, again.title, again.description, again.identify) == (layout.name, layout.title, layout.description, layout.identify)
        assert again.columns == layout.columns and again.rules == layout.rules and again.percent == layout.percent


def test_a_clerks_copy_of_a_shipped_layout_wins_the_tie(appendix, tmp_path):
    from tthc_xl.core.layouts import load_layouts, templates_dir

    text = (templates_dir() / "forms" / "mau-a-soc-trang.toml").read_text(encoding="utf-8")
    (tmp_path / "cua-toi.toml").write_text(text.replace('name = "mau-a"', 'name = "mau-a-cua-toi"'), encoding="utf-8")
    (table,) = read_file(appendix, load_layouts([tmp_path])).tables
    assert table.layout.name == "mau-a-cua-toi"
    (table,) = read_file(appendix, load_layouts()).tables
    assert table.layout.name == "mau-a"


def test_forms_from_without_output_lists_the_inferred_layout_with_its_rules(tmp_path, capsys):
    source = write_13(tmp_path / "xa.xlsx")
    assert main(["forms", "--from", str(source)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("suy-ra-tieu-de-cot (mẫu suy ra từ tiêu đề cột: (3) = (4) + (5) + (6) + (7); (8) = (9) + (10); ")
    assert "  (7) received_interagency: Số hồ sơ nhận giải quyết - Trong đó - Tiếp nhận liên thông" in out
