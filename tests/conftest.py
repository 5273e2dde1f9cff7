"""Shared test set-up: fixtures built in code from the real Sóc Trăng appendix (tests/soctrang.py)."""

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")

import soctrang  # noqa: E402

from tthc_xl.core.layouts import load_layouts  # noqa: E402
from tthc_xl.core.units import load_units  # noqa: E402


@pytest.fixture(scope="session")
def layouts():
    return load_layouts()


@pytest.fixture(scope="session")
def soc_trang_units():
    return load_units("soc-trang-so-nganh")


@pytest.fixture(scope="session")
def appendix(tmp_path_factory):
    return soctrang.write_appendix(tmp_path_factory.mktemp("appendix") / "phu-luc-i.xlsx")


@pytest.fixture(scope="session")
def unit_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp("units")
    soctrang.write_unit_files(folder)
    return folder
