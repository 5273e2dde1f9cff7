"""The workbook adapter: renders the master model with openpyxl (an update in place) or XlsxWriter (a
new master), saves atomically, sets up pages, exports PDF through LibreOffice, draws charts, writes
unit templates and builds the button workbook. Importing the package imports neither engine: the
modules that use openpyxl import tthc_xl.files.openpyxl_without_numpy first."""
