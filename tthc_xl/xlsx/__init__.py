"""The workbook adapter: renders the master model with openpyxl, saves atomically, sets up pages,
exports PDF through LibreOffice, draws charts, writes unit templates and builds the button workbook."""
