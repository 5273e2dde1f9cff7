"""Blank report sheets for units to fill: the layout's header, the unit's name and period, formulas
for derived cells and whole-number validation on inputs, so most errors cannot be typed at all."""

from __future__ import annotations

import re
from pathlib import Path

from tthc_xl.files import openpyxl_without_numpy  # noqa: F401 - first: openpyxl without numpy
from openpyxl import Workbook
from openpyxl.worksheet.datavalidation import DataValidation

from tthc_xl.core.layouts import Layout
from tthc_xl.core.master import INPUT, Master, Settings, fill, plan_rows
from tthc_xl.core.a1 import cell_ref
from tthc_xl.xlsx.render import save_atomically, write_table
from tthc_xl.core.text import fold

SHEET = "Báo cáo"


def unit_master(layout: Layout, unit: str, period: str) -> Master:
    """The master model of a one-row table: the unit's own sheet."""
    settings = Settings(period=period)
    title = [
        "BÁO CÁO TÌNH HÌNH, KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH",
        f"Kỳ báo cáo: {period}" if period else "Kỳ báo cáo: …",
        f"Đơn vị: {unit}",
    ]
    master = Master(layout, settings, [], sheet=SHEET, title=title)
    master.rows = plan_rows(layout, [("", [unit])], master.first_data_row, totals=False)
    fill(master, {}, mark_not_sent=False)
    return master


def write_unit_template(layout: Layout, unit: str, period: str, path: Path) -> Path:
    master = unit_master(layout, unit, period)
    book = Workbook()
    sheet = book.active
    sheet.title = SHEET
    cached = write_table(master, sheet)
    validation = DataValidation(
        type="whole", operator="greaterThanOrEqual", formula1="0", allow_blank=True, showErrorMessage=True,
        errorTitle="Số liệu không hợp lệ", error="Chỉ nhập số nguyên không âm (số hồ sơ).",
        promptTitle="Số hồ sơ", prompt="Nhập số nguyên ≥ 0; để trống nghĩa là 0.", showInputMessage=True,
    )
    (row,) = master.rows
    for n, slot in row.slots.items():
        if slot.role == INPUT:
            validation.add(cell_ref(row.row - 1, n - 1))
    sheet.add_data_validation(validation)
    save_atomically(book, path, {SHEET: cached})
    return path


def file_name(unit: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", fold(unit)).strip("-") + ".xlsx"
