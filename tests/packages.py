"""Office packages (zip files) copied with some parts changed: a damaged, hostile or stale copy of a good file."""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Callable


def with_parts_changed(source: Path, target: Path, changes: dict[str, Callable[[bytes], bytes]]) -> Path:
    """`source` copied to `target` entry by entry (names, order, compression kept), each part named in
    `changes` replaced by what its function makes of its bytes."""
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w") as copy:
        for info in original.infolist():
            data = original.read(info)
            change = changes.get(info.filename)
            copy.writestr(info, change(data) if change else data)
    return target
