"""What the commands share: the layouts a command sees, the console summary of a run, JSON output."""

from __future__ import annotations

import json
from pathlib import Path

from tthc_xl.core.layouts import clerk_layout_dirs, load_layouts
from tthc_xl.core.model import ERROR


def layouts_of(args, master=None):
    """The shipped layouts, then the clerk's (per-user folder, the folder beside the master), then --forms-dir."""
    return load_layouts([*clerk_layout_dirs(master), *(getattr(args, "forms_dir", None) or ())])


def print_summary(result) -> None:
    for source in result.sources:
        where = source.file + (f" [{source.sheet}]" if source.sheet else "")
        if source.error:
            print(f"✗ {source.error}")
        else:
            print(f"✓ {where}" + (f": {source.unit}" if source.unit else ""))
    for note in result.notes:
        print(f"  {note}")
    errors = sum(1 for f in result.findings if f.severity == ERROR)
    warnings = len(result.findings) - errors
    layout = result.master.layout if hasattr(result, "master") else result.layout
    form = layout.label if layout is not None else getattr(result, "form", "")
    print(f"\nMẫu biểu: {form or '(không xác định)'}. {errors} lỗi, {warnings} cảnh báo.")
    for finding in result.findings:
        mark = "LỖI" if finding.severity == ERROR else "Cảnh báo"
        print(f"- [{mark}] {Path(finding.file).name} [{finding.sheet}] {finding.place}: {finding.message}")


def write_json(path: str, data: dict) -> None:
    Path(path).write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
