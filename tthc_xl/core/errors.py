"""The one base class of the errors a clerk can cause or fix.

Each carries a Vietnamese message that says what happened and what to do; every entry point (the
`tthc-xl` command, the Excel buttons, the server's start) catches `ClerkError` alone, shows the
message and writes nothing. Anything else is a defect, never worded for the clerk.
"""


class ClerkError(Exception):
    """A problem in the clerk's files, settings or surroundings; `str(error)` is the message."""
