"""The `tthc-xl` command line: the entry point, exit codes and one module per command family."""

from tthc_xl.cli.app import main

__all__ = ["main"]
