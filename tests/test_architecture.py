"""The package's shape holds: the core is plain data, imports flow one way, nothing is circular.

Every import counts, the ones inside functions too (they are how a cycle hides).
"""

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "tthc_xl"
ADAPTERS = {"xlsx", "excel", "report"}
# The «Soạn báo cáo» button drives the report writer, as the `report` command does: the one
# adapter that is also an entry point for another.
ENTRY_POINTS = {("tthc_xl.excel.buttons", "report")}
ENGINE_LIBRARIES = ("openpyxl", "xlwings", "sqlite3", "subprocess", "python_calamine")


def _module(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports() -> dict[str, set[str]]:
    """Module → the package's modules it imports (a `from tthc_xl.x import name` of a module counts as that module)."""
    modules = {_module(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        found = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found |= {a.name for a in node.names if a.name.startswith("tthc_xl")}
            elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("tthc_xl"):
                found |= {f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in modules else node.module for a in node.names}
        graph[name] = {m for m in found if m in modules and m != name}
    return graph


def _layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 else ""  # "" for tthc_xl itself and its package __init__s


def test_the_core_imports_no_engine_library():
    core = sorted(_module(p) for p in (PACKAGE / "core").glob("*.py"))
    code = (
        "import importlib, sys\n"
        f"for name in {core!r}: importlib.import_module(name)\n"
        f"print(','.join(m for m in {ENGINE_LIBRARIES!r} if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=PACKAGE.parent, check=True)
    assert result.stdout.strip() == "", f"tthc_xl.core loads {result.stdout.strip()}"
    assert "tthc_xl.core.sheet_plan" in core and "tthc_xl.core.print_plan" in core


def test_the_new_master_engine_loads_without_openpyxl_and_openpyxl_loads_without_numpy():
    """A new master is written by XlsxWriter (xlsx/masters → xlsx/xlsxwriter_book, xlsx/saving):
    none of them may pull openpyxl in; a module that uses openpyxl takes it without numpy."""
    code = (
        "import importlib, sys\n"
        "for name in ('tthc_xl.xlsx', 'tthc_xl.xlsx.masters', 'tthc_xl.xlsx.xlsxwriter_book', 'tthc_xl.xlsx.saving'):\n"
        "    importlib.import_module(name)\n"
        "print(','.join(m for m in ('openpyxl', 'numpy') if m in sys.modules))\n"
        "import tthc_xl.xlsx.render\n"
        "print(','.join(m for m in ('openpyxl', 'numpy') if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=PACKAGE.parent, check=True)
    assert result.stdout.split("\n")[:2] == ["", "openpyxl"]


def test_imports_flow_one_way():
    wrong = []
    for module, imported in _imports().items():
        layer = _layer(module)
        for target in imported:
            to = _layer(target)
            if not to or to == layer or layer == "cli":
                continue
            if (layer in ("core", "files") and to != "core") or (layer in ADAPTERS and to not in ("core", "files")):
                if (module, to) not in ENTRY_POINTS:
                    wrong.append(f"{module} → {target}")
    assert wrong == []


def test_no_import_cycle():
    graph = _imports()
    done: set[str] = set()
    cycles = []

    def visit(module: str, path: list[str]) -> None:
        if module in path:
            cycles.append(" → ".join(path[path.index(module):] + [module]))
            return
        if module in done:
            return
        for target in sorted(graph.get(module, ())):
            visit(target, path + [module])
        done.add(module)

    for module in sorted(graph):
        visit(module, [])
    assert cycles == []


def test_the_walk_sees_local_imports_and_the_layers():
    graph = _imports()
    assert "tthc_xl.files.master_book" in graph["tthc_xl.files.history"]  # imported inside a function
    assert "tthc_xl.core.sheet_plan" in graph["tthc_xl.xlsx.render"] and "tthc_xl.core.sheet_plan" in graph["tthc_xl.excel.buttons"]
    assert _layer("tthc_xl.excel.buttons") == "excel" and _layer("tthc_xl.excel") == ""
