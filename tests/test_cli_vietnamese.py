"""The command line speaks Vietnamese wherever a clerk reads it: help, usage errors, a bare `tthc-xl`."""

import re

import pytest

from tthc_xl.cli import app as cli

ENGLISH = ("usage:", "positional arguments", "options:", "show this help", "error:", "the following arguments",
           "invalid choice", "expected one argument", "unrecognized arguments")


def run(capsys, *argv):
    capsys.readouterr()
    try:
        code = cli.main(list(argv))
    except SystemExit as exit:
        code = exit.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def commands() -> list[str]:
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    return list(sub.choices)


def test_bare_tthc_xl_says_what_to_do(capsys):
    code, out, err = run(capsys)
    assert code == 0 and err == ""
    assert out.startswith("tthc-xl: tổng hợp, kiểm tra và in phụ lục")
    for step in ("tthc-xl consolidate", "tthc-xl check", "tthc-xl print", "tthc-xl report", "tthc-xl check-report",
                 "tthc-xl history", "tthc-xl LỆNH -h"):
        assert step in out


@pytest.mark.parametrize("command", ["", *commands()])
def test_every_help_is_vietnamese_with_a_description(capsys, command):
    code, out, _ = run(capsys, *([command] if command else []), "-h")
    assert code == 0
    assert out.startswith("cách dùng: tthc-xl")
    assert "tùy chọn:" in out and "hiện hướng dẫn này rồi thoát" in out
    for word in ENGLISH:
        assert word not in out, (command, word)
    description = out.split("\n\n")[1]
    assert description[0].isupper() and description.rstrip().endswith(".")
    assert not re.search(r"\b(OUTPUT|FORM|UNITS|PERIOD|PREVIOUS|MASTER|SOURCES|FILES)\b", out)


@pytest.mark.parametrize("argv, message", [
    (["consolidate", "don-vi"], "tthc-xl consolidate: lỗi: thiếu tham số bắt buộc: -o/--output"),
    (["consolidate", "don-vi", "-o"], "tthc-xl consolidate: lỗi: tham số -o/--output: cần một giá trị"),
    (["tong-hop"], "tthc-xl: lỗi: tham số LỆNH: lựa chọn không hợp lệ: 'tong-hop' (chọn một trong: 'forms'"),
    (["check"], "tthc-xl check: lỗi: thiếu tham số bắt buộc: TỆP"),
    (["forms", "--thua"], "tthc-xl: lỗi: không hiểu tham số: --thua"),
])
def test_usage_errors_are_vietnamese(capsys, argv, message):
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert err.startswith("cách dùng: tthc-xl")
    assert message in err
    for word in ENGLISH:
        assert word not in err
