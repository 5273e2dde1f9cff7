"""tthc-xl: consolidate and check TTHC appendix tables (Phụ lục) from unit report sheets."""

__version__ = "0.1.0"
