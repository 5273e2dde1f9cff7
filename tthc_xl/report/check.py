"""`check-report`: every figure a typed narrative report quotes, held against the master's figures."""

from __future__ import annotations

import re
import unicodedata

from tthc_xl.core.numbers import format_percent, parse_number
from tthc_xl.report.narrative import (
    LABELS, SHARE_BASE, Figures, _with_in_time, change_phrase, rate_change_phrase, shares, so,
)


_NUM = r"\d{1,3}(?:\.\d{3})+(?:,\d+)?|\d+(?:,\d+)?"
_COUNT_AFTER = re.compile(rf"(?:^|[\s(])({_NUM})\s*hồ\s+sơ", re.IGNORECASE)
_COUNT_LEADS = re.compile(rf"(?::|\blà)\s*({_NUM})(?![\d/]|[.,]\d)(?!\s*%)", re.IGNORECASE)
_PERCENT = re.compile(rf"(?:chiếm|đạt|tỷ lệ|tỉ lệ)\s*(?:là\s*)?:?\s*({_NUM})\s*%", re.IGNORECASE)
_BASE = re.compile(rf"trên\s+tổng\s+số\s+({_NUM})", re.IGNORECASE)
_CHANGE = re.compile(
    rf"(tăng|giảm)\s+({_NUM})\s*(hồ\s+sơ|%|điểm\s+phần\s+trăm)\s*so\s+với\s+(cùng\s+kỳ|(?:tháng|quý|năm|kỳ)\s+trước)",
    re.IGNORECASE,
)
_SAME = re.compile(
    r"(không\s+(?:thay\s+)?đổi)\s*so\s+với\s+(cùng\s+kỳ|(?:tháng|quý|năm|kỳ)\s+trước)", re.IGNORECASE
)
_COMPARISON = re.compile(r"so\s+với\s+(?:cùng\s+kỳ(?:\s+năm\s+trước)?|(?:tháng|quý|năm|kỳ)\s+trước)")
_PARENS = re.compile(r"\([^()]*\)")
# "+ " anywhere, "- " at the start or after punctuation (not "Lao động - Thương binh").
_BULLET = re.compile(r"(?:^|\s)\+\s|(?:^|(?<=[.…;:!?]))\s*-\s")


def read_paragraphs(docx_path) -> list[str]:
    """The text of every paragraph of a .docx, body and table cells, in document order."""
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    document = docx.Document(str(docx_path))
    out: list[str] = []

    def walk(parent, element):
        for child in element.iterchildren():
            tag = child.tag.rsplit("}", 1)[-1]
            if tag == "p":
                out.append(Paragraph(child, parent).text)
            elif tag == "tbl":
                seen = []  # merged cells repeat; keep the elements so identity is stable
                for row in Table(child, parent).rows:
                    for cell in row.cells:
                        if any(cell._tc is tc for tc in seen):
                            continue
                        seen.append(cell._tc)
                        walk(cell, cell._tc)

    walk(document, document.element.body)
    return out


def _classify(text: str, family: str | None) -> str | None:
    """The quantity a clause is about, from its words (comparisons and parentheses removed)."""
    t = _COMPARISON.sub(" ", _PARENS.sub(" ", text.lower()))
    overdue = "quá hạn" in t or "trễ hạn" in t
    if "còn hạn" in t or "chưa đến hạn" in t or "trong hạn" in t:
        return "pending_in_time"
    if ("đang giải quyết" in t or "đang xử lý" in t) and overdue:
        return "pending_overdue"
    if "đang giải quyết" in t or "đang xử lý" in t:
        return "pending"
    if "trước hạn" in t and "đúng hạn" in t:
        return "resolved_in_time"
    if overdue:
        return "pending_overdue" if family == "pending" and "đã giải quyết" not in t else "resolved_late"
    if "trước hạn" in t:
        return "resolved_early"
    if "đúng hạn" in t:
        return "resolved_on_time"
    if "đã giải quyết" in t or "giải quyết xong" in t:
        return "resolved"
    if "trả lại" in t or "rút hồ sơ" in t:
        return "returned"
    if "trực tuyến" in t:
        return "received_online"
    if "trực tiếp" in t or "bưu chính" in t:
        return "received_direct"
    if "chuyển sang" in t or "từ kỳ trước" in t:
        return "carried_over"
    if "tiếp nhận mới" in t or "mới tiếp nhận" in t or "nhận mới" in t:
        return "received_new"
    if "tiếp nhận" in t or "nhận giải quyết" in t:
        return "received"
    return None


def _count(text: str) -> str | None:
    """The count a clause states: a number followed by "hồ sơ", or after ":"/"là"."""
    main = _PARENS.sub(" ", text)
    hits = [m for m in (_COUNT_AFTER.search(main), _COUNT_LEADS.search(main)) if m]
    if hits:
        return min(hits, key=lambda m: m.start(1)).group(1)
    if re.search(r"\bkhông\s+có\b", main, re.IGNORECASE):
        return "0"
    return None


def _split_top(text: str, separators: str) -> list[str]:
    """Split at any of `separators` outside parentheses."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        depth += ch == "("
        depth -= ch == ")" and depth > 0
        if depth == 0 and ch in separators:
            if ch == "," and not text[i + 1:i + 2].isspace():
                continue  # a decimal comma
            if ch == "." and not (text[i + 1:i + 2].isspace() and _starts_sentence(text[i + 1:])):
                continue  # a thousands dot, or an abbreviation
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts


def _starts_sentence(rest: str) -> bool:
    rest = rest.lstrip()
    return bool(rest) and (rest[0].isupper() or rest[0] in "-+")


def clauses(paragraph: str) -> list[tuple[str, str]]:
    """(quantity, clause) for each clause of a paragraph that states a known quantity."""
    text = unicodedata.normalize("NFC", paragraph).replace("\u00a0", " ")
    out: list[tuple[str, str]] = []
    family = None
    for segment in _split_top(text, ";."):
        for piece in _BULLET.split(segment):
            groups: list[list] = []  # [quantity or None, text]
            for part in _split_top(piece, ","):
                quantity = _classify(part, family)
                if quantity and _count(part) is not None:
                    groups.append([quantity, part])
                    if quantity.startswith(("resolved", "pending")):
                        family = quantity.split("_")[0]
                elif groups:
                    groups[-1][1] += "," + part  # "chiếm 99,69 %", a unit name: same clause
                else:
                    groups.append([None, part])
            out += [(q, c.strip(" -:\t")) for q, c in groups if q]
    return out


def _close(found: float, expected: float, written: str) -> bool:
    """Equal at the precision the number was written with ("68,8" matches 68,7511)."""
    decimals = len(written.split(",")[1]) if "," in written else 0
    return abs(found - expected) <= 0.5 * 10 ** -decimals + 1e-9


def check_paragraphs(paragraphs: list[str], figures: Figures) -> list[dict]:
    """Flag every figure in `paragraphs` that contradicts `figures` (see `check_report`)."""
    totals = _with_in_time(figures.totals)
    share = shares(totals)
    previous = _with_in_time(figures.previous) if figures.previous is not None else None
    last_year = (_with_in_time(figures.same_period_last_year)
                 if figures.same_period_last_year is not None else None)
    findings: list[dict] = []
    seen = set()

    def flag(i, clause, found, expected, quantity, kind, message):
        key = (i, quantity, kind, found, expected)
        if key not in seen:
            seen.add(key)
            findings.append({"paragraph": i, "text": clause, "found": found, "expected": expected,
                             "quantity": quantity, "kind": kind, "message": message})

    for i, paragraph in enumerate(paragraphs):
        for quantity, clause in clauses(paragraph):
            label = LABELS[quantity]
            written = _count(clause)
            if written is not None and quantity in totals:
                found = parse_number(written)
                if found != totals[quantity]:
                    expected = so(totals[quantity], pad=0)
                    flag(i, clause, written, expected, quantity, "count",
                         f"{label.capitalize()} ghi {written}, theo số liệu là {expected}.")
                else:
                    for parts_message, expected_sum in _sum_checks(quantity, totals):
                        if found != expected_sum and not (
                            quantity == "received"
                            and found == expected_sum + totals.get("returned", -1)
                        ):
                            expected = so(expected_sum, pad=0)
                            flag(i, clause, written, expected, quantity, "sum",
                                 f"{label.capitalize()} ghi {written}, nhưng {parts_message} "
                                 f"= {expected}.")

            for match in _PERCENT.finditer(clause):
                written_pct = match.group(1)
                if quantity not in share:
                    continue
                found = parse_number(written_pct)
                candidates = [share[quantity]]
                if SHARE_BASE[quantity] != "received" and totals.get("received"):
                    candidates.append(totals[quantity] * 100 / totals["received"])
                if not any(_close(found, c, written_pct) for c in candidates):
                    expected = format_percent(share[quantity])
                    flag(i, clause, f"{written_pct} %", f"{expected} %", quantity, "percent",
                         f"Tỷ lệ {label} ghi {written_pct} %, theo số liệu là {expected} %.")
                break  # the first percentage is the clause's share

            for match in _BASE.finditer(clause):
                base = "received"
                if base in totals and parse_number(match.group(1)) != totals[base]:
                    expected = so(totals[base], pad=0)
                    flag(i, clause, match.group(1), expected, base, "count",
                         f"Tổng số hồ sơ tiếp nhận ghi {match.group(1)}, theo số liệu là {expected}.")

            for match in list(_CHANGE.finditer(clause)) + list(_SAME.finditer(clause)):
                if not _mixed_comparison(match, i, clause, quantity, figures, flag):
                    _check_change(match, i, clause, quantity, totals, previous, last_year, flag)
    return findings


def _sum_checks(quantity: str, totals: dict[str, int]):
    """(description, sum of parts) for a total whose parts are all in the figures."""
    sums = {
        "received": [("resolved", "pending"), ("carried_over", "received_new")],
        "resolved": [("resolved_in_time", "resolved_late")],
        "pending": [("pending_in_time", "pending_overdue")],
    }
    for parts in sums.get(quantity, []):
        if all(p in totals for p in parts):
            described = " cộng ".join(f"{LABELS[p]} ({so(totals[p], pad=0)})" for p in parts)
            yield described, sum(totals[p] for p in parts)


def _check_change(match, i, clause, quantity, totals, previous, last_year, flag):
    """Check "tăng 96 hồ sơ / giảm 0,06 % / không đổi so với tháng trước (cùng kỳ)"."""
    against = match.groups()[-1]
    other = last_year if against.lower().startswith("cùng") else previous
    if other is None:
        return
    now, then = shares(totals), shares(other)
    count_diff = totals[quantity] - other[quantity] if quantity in totals and quantity in other else None
    rate_diff = (round(now[quantity], 2) - round(then[quantity], 2)
                 if quantity in now and quantity in then else None)
    if match.re is _CHANGE:
        word, number, unit, _ = match.groups()
        found = (1 if word.lower() == "tăng" else -1) * parse_number(number)
        is_rate = not unit.lower().startswith("hồ")  # "%" or "điểm phần trăm"
        if is_rate and (rate_diff is None or _close(found, rate_diff, number)):
            return
        if not is_rate and (count_diff is None or found == count_diff):
            return
    else:  # "không đổi": right if either the count or the share did not change
        is_rate = count_diff is None
        diffs = [d for d in (count_diff, rate_diff) if d is not None]
        if not diffs or any(round(d, 2) == 0 for d in diffs):
            return
    expected = rate_change_phrase(rate_diff) if is_rate else change_phrase(count_diff)
    written = re.split(r"\s+so\s+với", match.group(0))[0]
    where = "cùng kỳ năm trước" if other is last_year else "kỳ trước"
    flag(i, clause, written, expected, quantity, "rate_change" if is_rate else "change",
         f"So với {where}, {LABELS[quantity]} ghi “{written}”, theo số liệu là “{expected}”.")


def _mixed_comparison(match, i, clause, quantity, figures: Figures, flag) -> bool:
    """Flag a change "so với kỳ trước" quoted while units are missing, when it compares this period's
    reporting units with all of the previous period's (or no comparison on the same units exists)."""
    if not figures.missing or figures.previous_all is None or match.groups()[-1].lower().startswith("cùng"):
        return False
    if figures.previous is not None:  # a comparison on the same units exists: is this one against all?
        if match.re is not _CHANGE:
            return False
        word, number, unit, _ = match.groups()
        found = (1 if word.lower() == "tăng" else -1) * parse_number(number)
        totals, whole = _with_in_time(figures.totals), _with_in_time(figures.previous_all)
        if not unit.lower().startswith("hồ") or quantity not in totals or quantity not in whole:
            return False
        if found != totals[quantity] - whole[quantity] or found == totals[quantity] - _with_in_time(figures.previous).get(quantity):
            return False
    written = re.split(r"\s+so\s+với", match.group(0))[0]
    flag(i, clause, written, "", quantity, "mixed_comparison",
         f"“{written}” so sánh số liệu của {figures.reported_count}/{figures.unit_count} đơn vị đã gửi báo cáo kỳ này với "
         "số liệu của tất cả đơn vị kỳ trước: hãy so sánh trên cùng các đơn vị (xem báo cáo do tthc-xl soạn) hoặc bỏ so sánh.")
    return True


def check_report(docx_path, figures: Figures) -> list[dict]:
    """Flag every number in a report .docx that contradicts the figures.

    Each finding: {"paragraph": index in `read_paragraphs()`, "text": the clause, "found",
    "expected", "quantity": meaning key ("resolved_in_time" = trước hạn + đúng hạn), "kind":
    "count" | "sum" | "percent" | "change" | "rate_change", "message": in Vietnamese}.
    "sum" flags a total that does not equal the sum of its parts in the figures (2.099 received
    while resolved + pending is 2.063).
    """
    return check_paragraphs(read_paragraphs(docx_path), figures)
