"""How findings show on the sheet, for every adapter: the fill and the note of each marked cell,
and the columns of the "Kiểm tra" sheet."""

from __future__ import annotations

from pathlib import Path

from . import style
from .model import ERROR, Finding

CHECK_HEADERS = ["STT", "Mức độ", "Ô", "Đơn vị", "Quy tắc", "Nội dung", "Ô nghi sai", "Giá trị gợi ý", "Tệp nguồn", "Ô nguồn"]
CHECK_WIDTHS = (5, 9, 7, 30, 16, 80, 14, 14, 26, 9)


def note_text(finding: Finding) -> str:
    text = finding.message
    if finding.source:
        text += f"\nNguồn: {Path(finding.source.file).name}, trang {finding.source.sheet}, ô {finding.source.cell}."
    return text


def mark_plan(findings: list[Finding]) -> dict[str, tuple[str, list[str]]]:
    """Cell → (fill, note paragraphs): a finding's cell by severity, its suspects in their own colour."""
    notes: dict[str, list[str]] = {}
    colours: dict[str, str] = {}
    for finding in findings:
        colours[finding.cell] = style.ERROR_FILL if finding.severity == ERROR else colours.get(finding.cell, style.WARNING_FILL)
        notes.setdefault(finding.cell, []).append(note_text(finding))
        for suspect in finding.suspects:
            if suspect != finding.cell:
                colours.setdefault(suspect, style.SUSPECT_FILL)
                notes.setdefault(suspect, []).append(f"Ô nghi sai theo quy tắc {finding.rule} (xem {finding.cell}).")
    return {ref: (colour, notes[ref]) for ref, colour in colours.items()}
