import datetime as dt

import pytest

from tthc_xl.core.numbers import NotANumber, format_number, format_percent, parse_number


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("5.661", 5661),
        ("1.194 ", 1194),
        (" 13", 13),
        ("68,75", 68.75),
        ("1.234,5", 1234.5),
        ("00", 0),
        ("-", 0),
        ("", 0),
        (None, 0),
        (12.0, 12),
        (7, 7),
        ("12*", 12),
        ("12 (1)", 12),
        ("10,21%", 10.21),
        ("2 708", 2708),
        ("-3", -3),
    ],
)
def test_parse_number_reads_what_clerks_type(raw, expected):
    value = parse_number(raw)
    assert value == expected
    assert type(value) is type(expected)


@pytest.mark.parametrize("raw", ["abc", "12a", "1.2.3,4,5", dt.date(2019, 10, 1), "#REF!", True, "(2)", "(*)", "²"])
def test_parse_number_refuses_what_is_not_a_number(raw):
    with pytest.raises(NotANumber):
        parse_number(raw)


def test_format_number_is_vietnamese_style():
    assert format_number(5661) == "5.661"
    assert format_number(1234567) == "1.234.567"
    assert format_number(578) == "578"
    assert format_number(4, pad=2) == "04"
    assert format_number(-96) == "-96"
    assert format_percent(68.75) == "68,75"
    assert format_percent(100) == "100,00"
    assert format_percent(1234.5) == "1.234,50"


@pytest.mark.parametrize("raw", ["1" + "0" * 400, "9" * 30, "9999999999999999", "1.000.000.000.000.000.000", "123.456.789.012.345,6", "+00012345678901234567"])
def test_a_figure_typed_with_more_digits_than_a_number_holds_is_refused_as_typed(raw):
    """400 digits read as a float are infinity, 30 nines 1000000000000000019884624838656: neither is what
    was typed. Past 15 significant digits (what a spreadsheet keeps) the cell is refused, its text shown."""
    with pytest.raises(NotANumber) as refused:
        parse_number(raw)
    assert str(refused.value) == raw


@pytest.mark.parametrize("raw, expected", [("999999999999999", 999999999999999), ("000000000000000000012", 12),
                                           ("999.999.999.999.999", 999999999999999), ("0,000001", 0.000001)])
def test_fifteen_digits_and_leading_zeros_are_still_read(raw, expected):
    assert parse_number(raw) == expected
