"""The `tthc-xl` command line: the entry point, exit codes and one module per command family."""


def main(argv=None) -> int:
    """The `tthc-xl` entry point (imports the parser only when called, so `python -m tthc_xl.cli.app` works too)."""
    from tthc_xl.cli.app import main as run

    return run(argv)
