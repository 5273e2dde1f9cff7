"""Numbers as Vietnamese clerks type them, and as Vietnamese documents print them.

`5.661` is five thousand six hundred sixty-one, `68,75` is 68.75; `00`, `-` and an empty cell
mean 0. Anything else that is not a number is reported, never read as 0.
"""

from __future__ import annotations

import datetime as dt
import math
import re

# Footnote marks and stray decoration that units put after a figure: "12*", "12 (1)", "12(*)".
_FOOTNOTE = re.compile(r"\s*(\*+|\(\s*[\d*]{1,2}\s*\)|[¹²³⁴⁵⁶⁷⁸⁹⁰]+)$")
_DASHES = {"-", "–", "—", "_", "x", "X"}
_THOUSANDS_DOT = re.compile(r"^[+-]?\d{1,3}(\.\d{3})+$")
_DECIMAL_COMMA = re.compile(r"^[+-]?\d{1,3}(\.\d{3})*,\d+$|^[+-]?\d+,\d+$")
_PLAIN = re.compile(r"^[+-]?\d+(\.\d+)?$")
_SPACES = re.compile(r"[\s\u00a0\u202f]+")


class NotANumber(ValueError):
    """A cell that cannot be read as a number; the message says what was there."""


MAX_DIGITS = 15  # a spreadsheet holds 15 significant digits: a figure typed with more cannot be kept as typed


def _typed(text: str, raw) -> str:
    """`text`, a figure's digits as typed, unless they are more than a number can hold as they are."""
    if sum(c.isdigit() for c in text.lstrip("+-0.,")) > MAX_DIGITS:
        raise NotANumber(str(raw).strip())
    return text


def parse_number(raw) -> float | int:
    """Read a cell value the way a Vietnamese clerk meant it.

    Returns an int when the value is whole, a float otherwise; raises NotANumber.
    """
    if raw is None:
        return 0
    if type(raw) is float and raw.is_integer():  # most figures: none of the cases below
        return int(raw)
    if type(raw) is str and (digits := raw.strip()).isdigit() and digits.isascii():
        value = float(_typed(digits, raw))  # "215", as most figures typed as text are: what the last case below gives
        return int(value) if value.is_integer() else value
    if isinstance(raw, bool):
        raise NotANumber(str(raw))
    if isinstance(raw, (int,)):
        return raw
    if isinstance(raw, float):
        if math.isnan(raw):
            return 0
        if math.isinf(raw):
            raise NotANumber(str(raw))
        return int(raw) if raw.is_integer() else raw
    if isinstance(raw, (dt.date, dt.datetime, dt.time, dt.timedelta)):
        raise NotANumber(str(raw))
    typed = _SPACES.sub("", str(raw))
    text = _FOOTNOTE.sub("", typed)
    if text == "" and typed:
        raise NotANumber(str(raw).strip())  # "(2)" alone is a figure in brackets (or a negative), not a footnote of nothing
    if text == "" or text in _DASHES:
        return 0
    if text.endswith("%"):
        text = text[:-1]
    if _THOUSANDS_DOT.match(text):
        return int(_typed(text, raw).replace(".", ""))
    if _DECIMAL_COMMA.match(text):
        value = float(_typed(text, raw).replace(".", "").replace(",", "."))
        return int(value) if value.is_integer() else value
    if _PLAIN.match(text):
        value = float(_typed(text, raw))
        return int(value) if value.is_integer() else value
    raise NotANumber(str(raw).strip())


def format_number(value: float | int, decimals: int = 0, pad: int = 0) -> str:
    """Vietnamese style: `5.661`, `68,75`; `pad=2` gives the reports' `04`."""
    if decimals:
        rounded = round(float(value) + 0.0, decimals)
        whole, frac = f"{abs(rounded):.{decimals}f}".split(".")
        sign = "-" if rounded < 0 else ""
        return f"{sign}{_group(whole)},{frac}"
    number = int(round(value))
    text = _group(str(abs(number)).rjust(pad, "0"))
    return f"-{text}" if number < 0 else text


def _group(digits: str) -> str:
    parts = []
    while len(digits) > 3:
        parts.insert(0, digits[-3:])
        digits = digits[:-3]
    parts.insert(0, digits)
    return ".".join(parts)


def format_percent(value: float) -> str:
    """Two decimals with a comma, as the percentage row prints: `68,75`."""
    return format_number(value, decimals=2)
