"""The indicators of Quyết định 766/QĐ-TTg (2022) that an appendix determines, and the same from
dossiers by their definitions.

From an appendix alone they are approximations of the national portal's scores, which are computed
from dossier data: the on-time rate 2.1 ≈ (early + on time + pending within deadline) ÷ (resolved +
pending); the online-submission share 3.3 = received online ÷ newly received; the overdue part of 5.4
= (resolved late + pending overdue) ÷ (resolved + pending). From dossiers, each dossier is classified
by its own dates (due date in working time, supplement waiting excluded) instead of the units' counts.
"""

from __future__ import annotations

from dataclasses import dataclass

from tthc_xl.core.dossiers import EARLY, IN_TIME, LATE, ON_TIME, OVERDUE

APPENDIX, DOSSIERS = "phụ lục", "hồ sơ"


@dataclass(frozen=True)
class Indicator:
    code: str  # "2.1"
    name: str
    numerator: float
    denominator: float
    basis: str  # APPENDIX (approximation) or DOSSIERS
    formula: str

    @property
    def value(self) -> float | None:
        """Percent, or None when the denominator is 0."""
        return 100 * self.numerator / self.denominator if self.denominator else None

    @property
    def approximate(self) -> bool:
        return self.basis == APPENDIX

    def as_json(self) -> dict:
        return {"code": self.code, "name": self.name, "basis": self.basis, "approximate": self.approximate,
                "numerator": self.numerator, "denominator": self.denominator, "value": self.value, "formula": self.formula}


NAMES = {
    "2.1": "Tỷ lệ hồ sơ giải quyết đúng hạn",
    "3.3": "Tỷ lệ hồ sơ nộp trực tuyến",
    "5.4": "Tỷ lệ hồ sơ quá hạn, phần quá hạn của chỉ số 5.4",
}


def indicators(counts: dict[str, float], basis: str) -> list[Indicator]:
    """2.1, 3.3 and the overdue part of 5.4 from counts keyed by column meaning (missing keys count 0).

    The same formulas serve both bases: from an appendix the counts are the units' figures; from
    dossiers they are the counts of dossiers classified by their own dates.
    """
    get = lambda key: float(counts.get(key) or 0)  # noqa: E731
    handled = get("resolved") + get("pending")
    new = get("received_new") if "received_new" in counts else get("received") - get("carried_over")
    return [
        Indicator("2.1", NAMES["2.1"], get(EARLY) + get(ON_TIME) + get(IN_TIME), handled, basis,
                  "(trước hạn + đúng hạn + đang giải quyết trong hạn) ÷ (đã giải quyết + đang giải quyết)"),
        Indicator("3.3", NAMES["3.3"], get("received_online"), new, basis, "tiếp nhận trực tuyến ÷ tiếp nhận mới"),
        Indicator("5.4", NAMES["5.4"], get(LATE) + get(OVERDUE), handled, basis,
                  "(đã giải quyết quá hạn + đang giải quyết quá hạn) ÷ (đã giải quyết + đang giải quyết)"),
    ]


# The columns each indicator needs from an appendix: every item is met by any one of its alternatives,
# each present whole. An indicator a layout's columns do not determine is left out, never computed as
# if the missing columns held 0.
NEEDS = {
    "2.1": [[{"resolved"}], [{"pending"}], [{IN_TIME}], [{EARLY}, {ON_TIME}]],
    "3.3": [[{"received_online"}], [{"received_new"}, {"received", "carried_over"}]],
    "5.4": [[{"resolved"}], [{"pending"}], [{LATE}], [{OVERDUE}]],
}


def determined(counts: dict[str, float]) -> list[Indicator]:
    """The appendix indicators that counts keyed by column meaning determine (see NEEDS)."""
    def met(code: str) -> bool:
        return all(any(keys <= counts.keys() for keys in item) for item in NEEDS[code])

    return [i for i in indicators(counts, APPENDIX) if met(i.code) and i.denominator]


def paragraph(appendix: list[Indicator], dossiers: list[Indicator]) -> str:
    """The report's sentence on the indicators: the appendix's approximations, then what the dossiers say."""
    from tthc_xl.core.numbers import format_percent

    def share(indicator: Indicator) -> str:
        return f"{format_percent(indicator.value)}%" if indicator.value is not None else "chưa tính được"

    parts = []
    by_code = {i.code: i for i in dossiers}
    for indicator in appendix:
        text = f"chỉ số {indicator.code} ({indicator.name[0].lower() + indicator.name[1:]}) ước đạt {share(indicator)}"
        other = by_code.get(indicator.code)
        if other is not None and other.denominator:
            text += f" (theo dữ liệu hồ sơ: {share(other)})"
        parts.append(text)
    return ("Theo Bộ chỉ số ban hành kèm theo Quyết định số 766/QĐ-TTg, tính gần đúng từ số liệu tổng hợp: "
            + "; ".join(parts) + ". Điểm chính thức do Cổng Dịch vụ công quốc gia tính từ dữ liệu hồ sơ.")
