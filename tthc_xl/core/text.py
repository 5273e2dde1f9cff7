"""Text comparison that ignores what varies between clerks: case, diacritics, spacing, punctuation."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_NON_WORD = re.compile(r"[^0-9a-z%]+")
_NOT_ASCII_OR_DIACRITIC = re.compile("[^\x00-\x7f\u0300-\u036f]")


def fold_text(text: str) -> str:
    """fold of a str, computed each time (for callers that keep what they fold)."""
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    if _NOT_ASCII_OR_DIACRITIC.search(text):
        text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
    else:  # Vietnamese: ASCII letters and combining diacritics (U+0300–U+036F, all of category Mn) to drop at once
        text = text.encode("ascii", "ignore").decode("ascii")
    return _NON_WORD.sub(" ", text.lower()).strip()


_fold = lru_cache(maxsize=16384)(fold_text)  # the same headers and unit names come back in every file


def fold(text) -> str:
    """Lower case, no diacritics (đ → d), words separated by single spaces."""
    return "" if text is None else _fold(str(text))
