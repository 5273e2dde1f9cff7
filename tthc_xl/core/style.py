"""How the master looks, shared by the openpyxl and xlwings adapters (Nghị định 30/2020/NĐ-CP)."""

FONT = "Times New Roman"
TITLE_SIZE = 13
TABLE_SIZE = 11

# Fills (RGB): inputs the clerk may type in, formulas the tool owns, and the checker's marks.
HEADER_FILL = "D9E1F2"
INPUT_FILL = "FFFFFF"
FORMULA_FILL = "EDEDED"
ERROR_FILL = "FFC7CE"
WARNING_FILL = "FFEB9C"
SUSPECT_FILL = "F8CBAD"

COUNT_FORMAT = "[$-42A]#,##0_)"
PERCENT_FORMAT = "[$-42A]0.00%_)"
CHANGE_FORMAT = "[$-42A]+#,##0_);-#,##0_);0_)"
