Attribute VB_Name = "TthcXl"
' tthc-xl: subs bound to the buttons on the control sheet.
' Each sub calls Python through xlwings RunPython (the standalone "xlwings"
' module embedded in this workbook); the Python side is tthc_xl/excel/buttons.py.
' Keep this file ASCII: the VBA project is stored in code page 1252.
Option Explicit

' Consolidate the unit report files into the appendix table.
Sub TongHop()
    RunPython "import tthc_xl.excel as x; x.consolidate()"
End Sub

' Check the consolidated table and mark suspicious cells.
Sub KiemTra()
    RunPython "import tthc_xl.excel as x; x.check()"
End Sub

' Remove the marks left by KiemTra.
Sub XoaDanhDau()
    RunPython "import tthc_xl.excel as x; x.clear_marks()"
End Sub

' Prepare and print the appendix.
Sub InPhuLuc()
    RunPython "import tthc_xl.excel as x; x.print_appendix()"
End Sub

' Draft the report document from the appendix.
Sub SoanBaoCao()
    RunPython "import tthc_xl.excel as x; x.draft_report()"
End Sub
