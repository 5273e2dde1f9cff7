"""The web client the buttons' answers are applied by: xlwings Server's Office.js runtime.

`tthc-xl serve` hands the add-in the JavaScript of the installed `xlwings-server` package (its
`static` folder). The client applies each action of a script's answer by looking its `func` up in
one table (`let funcs = {…}` in static/js/custom-scripts/index.js); an action it does not know stops
the answer part way, leaving the sheet unprotected and half formatted. So the server and
`tthc-xl doctor` read that table and compare it with the action kinds the buttons return.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import re
from dataclasses import dataclass
from pathlib import Path

PACKAGE = "xlwings-server"
# The first release whose action table holds every kind below (1.16 lacks addNote).
MIN_VERSION = "1.17.0"
CLIENT_SCRIPT = Path("js") / "custom-scripts" / "index.js"

# The action kinds the button functions (tthc_xl.excel.buttons) return through xlwings' remote
# engine; tests/test_web_client.py runs the buttons and fails when this list is not exactly theirs.
ACTIONS = frozenset({
    "addNote", "addSheet", "alert", "deleteNote", "freezePaneAtRange", "namesAdd", "rangeClear", "rangeMerge",
    "rangeUnmerge", "runMacro", "setBorderProperty", "setColumnWidth", "setFontProperty", "setHorizontalAlignment",
    "setAutofit", "setNameRefersTo", "setNumberFormat", "setPrintArea", "setRangeColor", "setRowHeight", "setValues",
    "setVerticalAlignment", "setWrapText", "sheetClear",
})

_TABLE = re.compile(r"^let funcs = \{\n(.*?)^\};", re.M | re.S)
_KEY = re.compile(r"^\s*([A-Za-z_$][\w$]*)\s*:", re.M)


def action_table(script: str) -> set[str]:
    """The action names the client's script maps to functions (empty when it has no table)."""
    table = _TABLE.search(script)
    return set(_KEY.findall(table.group(1))) if table else set()


def missing_actions(script: str, needed=ACTIONS) -> list[str]:
    """The action kinds in `needed` the client's script does not know, sorted."""
    return sorted(set(needed) - action_table(script))


def installed_static_dir() -> Path | None:
    """The `static` folder of the installed xlwings-server package (found without importing it)."""
    spec = importlib.util.find_spec("xlwings_server")
    if spec is None or not spec.submodule_search_locations:
        return None
    static = Path(list(spec.submodule_search_locations)[0]) / "static"
    return static if (static / CLIENT_SCRIPT).is_file() else None


def client_version(static_dir: Path) -> str | None:
    """The xlwings-server release a `static` folder belongs to: its package's dist-info beside it."""
    package = Path(static_dir).resolve().parent
    for info in sorted(package.parent.glob("xlwings_server-*.dist-info")):
        return importlib.metadata.Distribution.at(info).version
    return None


@dataclass(frozen=True)
class ClientStatus:
    version: str | None  # the xlwings-server release of the served folder; None when unknown
    static_dir: Path | None  # the folder served to the add-in
    missing: tuple[str, ...]  # action kinds its table lacks (all of them without a client)

    @property
    def ok(self) -> bool:
        return self.static_dir is not None and not self.missing

    def message(self, show_folder: bool = False) -> str:
        """Vietnamese: what is wrong with the client and what to do (empty when it is fine).

        `show_folder` names the served folder (the console, doctor); /health is public and does not."""
        command = f"pip install \"{PACKAGE}>={MIN_VERSION}\" (hoặc pip install \"tthc-xl[server]\")"
        if self.static_dir is None:
            return (f"Chưa có {PACKAGE} (phần chạy trong Excel của add-in) nên các nút trên tab TTHC không làm gì: "
                    f"cài bằng lệnh {command} rồi khởi động lại máy chủ.")
        if not self.missing:
            return ""
        shown = ", ".join(self.missing[:6]) + ("…" if len(self.missing) > 6 else "")
        where = f" ở {self.static_dir}" if show_folder else ""
        return (
            f"Bản {PACKAGE} {self.version or '(không rõ phiên bản)'}{where} không biết {len(self.missing)} thao tác các nút "
            f"cần ({shown}) nên «Tổng hợp» sẽ dừng giữa chừng: cài bản mới bằng lệnh {command} rồi khởi động lại máy chủ."
        )


def client_status(static_dir: Path | None) -> ClientStatus:
    """The client served from `static_dir` (None: no client) against ACTIONS."""
    script = Path(static_dir) / CLIENT_SCRIPT if static_dir else None
    if script is None or not script.is_file():
        return ClientStatus(None, None, tuple(sorted(ACTIONS)))
    missing = missing_actions(script.read_text(encoding="utf-8"))
    return ClientStatus(client_version(static_dir), Path(static_dir), tuple(missing))
