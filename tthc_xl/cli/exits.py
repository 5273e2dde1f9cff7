"""Exit codes of every `tthc-xl` command: 0 all good, 1 findings to look at, 2 unusable input."""

EXIT_OK, EXIT_FINDINGS, EXIT_UNUSABLE = 0, 1, 2
