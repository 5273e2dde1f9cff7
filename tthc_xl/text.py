"""Text comparison that ignores what varies between clerks: case, diacritics, spacing, punctuation."""

from __future__ import annotations

import re
import unicodedata

_NON_WORD = re.compile(r"[^0-9a-z%]+")


def fold(text) -> str:
    """Lower case, no diacritics (đ → d), words separated by single spaces."""
    if text is None:
        return ""
    text = unicodedata.normalize("NFD", str(text).replace("đ", "d").replace("Đ", "D"))
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn").lower()
    return _NON_WORD.sub(" ", text).strip()

