"""The Excel adapter: the button functions (desktop RunPython and xlwings Server) and the server.

The VBA module and the server call `import tthc_xl.excel as x; x.consolidate()`.
"""

from tthc_xl.excel.buttons import check, clear_marks, consolidate, draft_report, print_appendix

__all__ = ["check", "clear_marks", "consolidate", "draft_report", "print_appendix"]
