"""The period history (lich-su-tthc.sqlite) and the chart sheet."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import sqlite3
import zipfile

import openpyxl
import pytest

import office
from test_report_from_master import EXPECTED, consolidate, september_master, with_report_commands, write_september_appendix

from tthc_xl.files import history
from tthc_xl.xlsx.charts import SHEET, add_chart_sheet
from tthc_xl.files.sources import consolidate as consolidate_files
from tthc_xl.files.sources import read_master_table
from tthc_xl.files.history import DB_NAME, PeriodRecord, parse_period
from tthc_xl.core.master import Settings
from tthc_xl.xlsx.render import open_or_new, render, save_atomically
from tthc_xl.report.check import read_paragraphs
from tthc_xl.report.narrative import figures_from_master


# ---------------------------------------------------------------------------- periods


@pytest.mark.parametrize("text, key, kind", [
    ("tháng 10 năm 2019", "2019-10", "month"),
    ("Tháng 10/2019", "2019-10", "month"),
    ("T10/2019", "2019-10", "month"),
    ("tháng 10 năm 2019 (từ 16/9/2019 đến 15/10/2019)", "2019-10", "month"),
    ("quý III năm 2019", "2019-Q3", "quarter"),
    ("Quý 3/2019", "2019-Q3", "quarter"),
    ("6 tháng đầu năm 2020", "2020-H1", "half"),
    ("6 tháng cuối năm 2020", "2020-H2", "half"),
    ("9 tháng đầu năm 2020", "2020-9M", "nine_months"),
    ("năm 2020", "2020", "year"),
    ("2019-09-16/2019-10-15", "2019-09-16..2019-10-15", "range"),
    ("2019-09-16 – 2019-10-15", "2019-09-16..2019-10-15", "range"),
    ("từ ngày 16/9/2019 đến ngày 15/10/2019", "2019-09-16..2019-10-15", "range"),
    ("kỳ báo cáo đặc biệt", "kỳ báo cáo đặc biệt", "text"),
    ("tháng 13 năm 2019", "tháng 13 năm 2019", "text"),
])
def test_period_keys(text, key, kind):
    period = parse_period(text)
    assert (period.key, period.kind) == (key, kind)


def test_previous_and_last_year_keys():
    assert parse_period("tháng 1 năm 2020").previous_key() == "2019-12"
    assert parse_period("tháng 10 năm 2019").previous_key() == "2019-09"
    assert parse_period("tháng 10 năm 2019").last_year_key() == "2018-10"
    assert parse_period("quý I năm 2020").previous_key() == "2019-Q4"
    assert parse_period("6 tháng đầu năm 2020").previous_key() == "2019-H2"
    assert parse_period("6 tháng cuối năm 2020").previous_key() == "2020-H1"
    assert parse_period("năm 2020").previous_key() == "2019"
    assert parse_period("2020-02-29/2020-03-15").last_year_key() == "2019-02-28..2019-03-15"


# ---------------------------------------------------------------------------- archive and look up


@pytest.fixture(scope="module")
def folder(unit_folder, tmp_path_factory):
    """September and October masters in one folder, both archived from their files."""
    root = tmp_path_factory.mktemp("lich-su")
    september = september_master(root / "nguon")
    october = consolidate(unit_folder, root / "tong-hop-10-2019.xlsx", "tháng 10 năm 2019")
    shutil.copy(september, root / "tong-hop-9-2019.xlsx")
    first = history.archive(root / "tong-hop-9-2019.xlsx")
    second = history.archive(october)
    assert first.ok and second.ok, (first.message, second.message)
    assert first.message.endswith(str(root / DB_NAME)) or str(root / DB_NAME) in first.message
    return root


def test_archive_stores_period_form_units_and_totals(folder):
    records = history.periods(folder)
    assert [(r.period.key, r.period.text, r.form) for r in records] == [
        ("2019-09", "tháng 9 năm 2019", "mau-a"), ("2019-10", "tháng 10 năm 2019", "mau-a"),
    ]
    september, october = records
    assert september.totals["received"] == 5565 and october.totals["received"] == 5661
    assert october.totals["resolved_early"] == 1559 and october.totals["received_online"] == 578
    assert len(october.units) == 16
    assert dict(october.units)["Công an tỉnh"]["received"] == 144
    assert dict(september.units)["Công an tỉnh"]["received"] == 48
    assert october.master.endswith("tong-hop-10-2019.xlsx")


def test_previous_period_and_report_without_previous(folder, tmp_path, capsys):
    assert history.previous_period(folder, "tháng 10 năm 2019")["received"] == 5565
    assert history.previous_period(folder, "tháng 9 năm 2019") is None
    out = tmp_path / "bao-cao.docx"
    assert with_report_commands(["report", folder / "tong-hop-10-2019.xlsx", "-o", out]) == 0
    assert "lịch sử (tháng 9 năm 2019" in capsys.readouterr().out
    text = "\n".join(read_paragraphs(out))
    for expected in EXPECTED:
        assert expected in text, expected
    assert "- Cơ quan đã tiếp nhận 5.661 hồ sơ TTHC (tăng 96 hồ sơ so với tháng trước), trong đó:" in text


def test_rearchiving_a_period_replaces_it(folder, unit_folder, layouts, soc_trang_units, tmp_path):
    # October consolidated again from September's figures, then from the real files.
    appendix = write_september_appendix(tmp_path / "phu-luc.xlsx")
    october_path = folder / "tong-hop-10-2019.xlsx"
    other = consolidate_files([appendix], layouts, None, soc_trang_units, Settings(period="tháng 10 năm 2019"))
    archived = history.archive(october_path, other)
    assert archived.replaced and "Đã cập nhật số liệu kỳ “tháng 10 năm 2019”" in archived.message
    # What the re-run changed, shown before the period is replaced.
    assert archived.message.startswith("Kỳ “tháng 10 năm 2019” đã có trong lịch sử; so với lần lưu trước: đã thay đổi")
    assert "  Tổng cộng, cột (3) tổng số: 5.661 → 5.565" in archived.message.splitlines()
    assert "  1 đơn vị thay đổi số liệu: Công an tỉnh" in archived.message.splitlines()
    assert history.load(folder, "tháng 10 năm 2019").totals["received"] == 5565
    assert history.archive(october_path).replaced  # from the file: 5.661 again
    assert [r.period.key for r in history.periods(folder)] == ["2019-09", "2019-10"]
    assert history.load(folder, "tháng 10 năm 2019").totals["received"] == 5661
    with sqlite3.connect(folder / DB_NAME) as connection:
        assert connection.execute("SELECT COUNT(*) FROM units WHERE period = '2019-10'").fetchone() == (16,)
        assert connection.execute("SELECT COUNT(*) FROM totals WHERE period = '2019-10'").fetchone() == (12,)
        assert connection.execute("SELECT COUNT(*) FROM unit_values WHERE period = '2019-10'").fetchone() == (16 * 12,)


def test_same_period_last_year(folder, layouts, soc_trang_units, tmp_path):
    root = tmp_path / "nam-truoc"
    root.mkdir()
    for name in ("tong-hop-9-2019.xlsx", "tong-hop-10-2019.xlsx"):
        shutil.copy(folder / name, root / name)
        history.archive(root / name)
    appendix = write_september_appendix(tmp_path / "phu-luc.xlsx")
    last_year = consolidate_files([appendix], layouts, None, soc_trang_units, Settings(period="tháng 10 năm 2018"))
    history.archive(root / "tong-hop-10-2018.xlsx", last_year)
    assert history.same_period_last_year(root, "tháng 10 năm 2019")["received"] == 5565
    assert history.same_period_last_year(root, "tháng 9 năm 2019") is None
    figures = figures_from_master(root / "tong-hop-10-2019.xlsx")
    assert figures.same_period_last_year["received"] == 5565
    out = tmp_path / "bao-cao.docx"
    assert with_report_commands(["report", root / "tong-hop-10-2019.xlsx", "-o", out]) == 0
    assert ("- Cơ quan đã tiếp nhận 5.661 hồ sơ TTHC (tăng 96 hồ sơ so với tháng trước, "
            "tăng 96 hồ sơ so với cùng kỳ năm trước), trong đó:") in read_paragraphs(out)


def _record(text: str, received: int) -> PeriodRecord:
    return PeriodRecord(parse_period(text), "mau-a", {"received": received, "resolved": received // 2},
                        [("Sở Tư pháp", {"received": received})])


def test_previous_across_years_quarters_and_ranges(tmp_path):
    for text, received in [("tháng 12 năm 2019", 10), ("tháng 1 năm 2020", 20), ("quý IV năm 2019", 30),
                           ("quý I năm 2020", 40), ("từ ngày 16/9/2019 đến ngày 15/10/2019", 50),
                           ("2019-10-16/2019-11-15", 60), ("2018-09-17/2018-10-15", 70)]:
        history.store(tmp_path, _record(text, received))
    assert history.previous_period(tmp_path, "tháng 1 năm 2020") == {"received": 10, "resolved": 5}
    assert history.previous_period(tmp_path, "quý I năm 2020")["received"] == 30
    assert history.previous_period(tmp_path, "16/10/2019 - 15/11/2019")["received"] == 50
    assert history.previous_period(tmp_path, "từ ngày 16/9/2019 đến ngày 15/10/2019") is None
    # Last year's range started a day later (16/9/2018 was a Sunday): close enough.
    assert history.same_period_last_year(tmp_path, "16/9/2019 - 15/10/2019")["received"] == 70


def test_unrecognised_period_is_stored_under_its_text(unit_folder, layouts, soc_trang_units, tmp_path):
    outcome = consolidate_files([unit_folder], layouts, None, soc_trang_units, Settings(period="kỳ báo cáo đặc biệt"))
    archived = history.archive(tmp_path / "tong-hop.xlsx", outcome)
    assert archived.ok
    assert "Không nhận ra kỳ báo cáo “kỳ báo cáo đặc biệt”" in archived.message
    assert "lưu theo đúng chữ đã ghi" in archived.message
    record = history.load(tmp_path, "kỳ báo cáo đặc biệt")
    assert record.period.key == "kỳ báo cáo đặc biệt" and record.totals["received"] == 5661
    assert history.previous_period(tmp_path, "kỳ báo cáo đặc biệt") is None


def test_master_without_period_is_not_archived(unit_folder, layouts, soc_trang_units, tmp_path):
    outcome = consolidate_files([unit_folder], layouts, None, soc_trang_units, Settings())
    archived = history.archive(tmp_path / "tong-hop.xlsx", outcome)
    assert not archived.ok and "chưa ghi kỳ báo cáo" in archived.message
    assert not (tmp_path / DB_NAME).exists()


def test_lookups_never_create_a_history_file(tmp_path):
    assert history.previous_period(tmp_path, "tháng 10 năm 2019") is None
    assert history.same_period_last_year(tmp_path, "tháng 10 năm 2019") is None
    assert history.periods(tmp_path) == []
    assert not (tmp_path / DB_NAME).exists()


def test_unwritable_history_is_a_message_not_a_crash(unit_folder, layouts, soc_trang_units, tmp_path):
    outcome = consolidate_files([unit_folder], layouts, None, soc_trang_units, Settings(period="tháng 10 năm 2019"))
    (tmp_path / DB_NAME).write_text("không phải SQLite", encoding="utf-8")
    archived = history.archive(tmp_path / "tong-hop.xlsx", outcome)
    assert not archived.ok and archived.message.startswith("Chưa lưu được lịch sử")


# ---------------------------------------------------------------------------- the chart sheet


@pytest.fixture(scope="module")
def charted(folder, unit_folder, layouts, soc_trang_units, tmp_path_factory):
    """October rendered into a master the way render_xlsx does it, plus the chart sheet (the hook)."""
    root = tmp_path_factory.mktemp("bieu-do")
    shutil.copy(folder / DB_NAME, root / DB_NAME)
    path = root / "tong-hop-10-2019.xlsx"
    outcome = consolidate_files([unit_folder], layouts, None, soc_trang_units,
                                Settings(period="tháng 10 năm 2019"), output=str(path))
    for _ in range(2):  # a second consolidation draws the sheet again, once
        book = open_or_new(path)
        cached = render(outcome, book, str(path))
        add_chart_sheet(book, history.chart_rows(path, outcome))
        save_atomically(book, path, cached)
    return path


def test_chart_sheet_has_the_data_and_native_charts(charted, layouts):
    book = openpyxl.load_workbook(charted)
    assert book.sheetnames.count(SHEET) == 1 and book.sheetnames[-1] == SHEET
    sheet = book[SHEET]
    assert [c.value for c in sheet[5][:3]] == ["T9/2019", 5565, 3796]
    assert [c.value for c in sheet[6][:3]] == ["T10/2019", 5661, 3892]
    assert sheet["D6"].value == pytest.approx(1564 / 3892) and sheet["E6"].value == pytest.approx(578 / 5661)
    with zipfile.ZipFile(charted) as archive:
        charts = sorted(n for n in archive.namelist() if n.startswith("xl/charts/chart"))
        assert charts == ["xl/charts/chart1.xml", "xl/charts/chart2.xml", "xl/charts/chart3.xml"]
        xml = "".join(archive.read(n).decode("utf-8") for n in charts)
    assert len(re.findall(r"<(?:c:)?barChart>", xml)) == 2 and len(re.findall(r"<(?:c:)?lineChart>", xml)) == 1
    # The appendix is still the table a reader finds, with its stored figures.
    assert read_master_table(charted, layouts).sheet == "Phụ lục I"
    assert figures_from_master(charted).totals["received"] == 5661


def test_libreoffice_converts_the_chart_sheet_to_pdf(charted, tmp_path):
    pdf = office.convert(charted, "pdf", tmp_path)
    # Reading order, not -layout: a chart title wraps, and -layout interleaves it with the table beside it.
    text = office.pdf_reading_text(pdf)
    for title in ("BIỂU ĐỒ TÌNH HÌNH, KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH",
                  "Hồ sơ tiếp nhận và đã giải quyết theo tháng",
                  "Tỷ lệ giải quyết đúng hạn và tỷ lệ tiếp nhận trực tuyến theo tháng (%)"):
        assert title in text, title
    assert text.count("Hồ sơ tiếp nhận theo đơn vị, tháng 10 năm 2019") == 2  # the table's caption and the chart's title
    assert "T9/2019" in text and "T10/2019" in text and "40,18%" in text


def test_chart_rows_without_history_is_the_current_period(unit_folder, layouts, soc_trang_units, tmp_path):
    outcome = consolidate_files([unit_folder], layouts, None, soc_trang_units, Settings(period="tháng 10 năm 2019"))
    rows = history.chart_rows(tmp_path / "m.xlsx", outcome)
    assert [r.period.key for r in rows] == ["2019-10"]
    book = openpyxl.Workbook()
    assert add_chart_sheet(book, rows).title == SHEET
    assert add_chart_sheet(book, []) is None and SHEET not in book.sheetnames
    assert dt.date(2019, 10, 1) == rows[0].period.start
