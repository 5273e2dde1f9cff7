"""A1 addresses: the one place that turns 0-based (row, column) into "G25"."""

from __future__ import annotations

from functools import lru_cache


def cell_ref(row: int, col: int) -> str:
    """A1 address of 0-based (row, col)."""
    return f"{column_letters(col)}{row + 1}"


@lru_cache(maxsize=4096)  # a table's few columns are addressed again in every row
def column_letters(col: int) -> str:
    """"A", "N", "AA": the letters of 0-based column `col`."""
    letters = ""
    col += 1
    while col:
        col, rest = divmod(col - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def parse_ref(ref: str) -> tuple[int, int]:
    """0-based (row, col) of an A1 address such as \"G25\" or \"$G$25\"."""
    ref = ref.replace("$", "")
    letters = ref.rstrip("0123456789")
    col = 0
    for ch in letters:
        col = col * 26 + ord(ch) - 64
    return int(ref[len(letters):]) - 1, col - 1
