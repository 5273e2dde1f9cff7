"""The workbook contract: the sheet names and defined names a master carries.

Every writer (openpyxl, xlwings) and every reader (a master read back, the buttons, `doctor`) uses
these names, so they live here rather than in any one adapter.
"""

MASTER_SHEET = "Phụ lục I"
CHECK_SHEET = "Kiểm tra"
SETTINGS_SHEET = "Cài đặt"
CONTROL_SHEET = "Điều khiển"  # the buttons sheet of workbook/tthc-xl-master.xlsm
CONF_SHEET = "xlwings.conf"

TABLE_NAME = "TTHC_BANG"  # defined name holding the table region, so a re-run knows what it owns
SETTINGS = [  # (defined name, label, Settings attribute)
    ("KyBaoCao", "Kỳ báo cáo", "period"),
    ("SoBaoCao", "Số báo cáo", "report_number"),
    ("NgayBaoCao", "Ngày báo cáo", "report_date"),
    ("CoQuanBanHanh", "Cơ quan ban hành", "issuer"),
]
FOLDER_NAME = "ThuMucBaoCao"  # the unit reports' folder, on the settings sheet
FORM_NAME = "MauBieu"  # optional settings: the form (see `tthc-xl forms`) and the unit list
UNITS_NAME = "DanhSachDonVi"
PYTHON_NAME = "DuongDanPython"  # the button workbook's python.exe, on its control sheet (read by xlwings.conf)
# A named constant holding the master's identity: the history beside it belongs to this master.
IDENTITY_NAME = "MaBangTongHop"

# What a unit row of the master shows, in its first figure cell, while its unit has sent nothing:
# never zeros that read as data. A reader takes it for a blank row.
NOT_SENT = "chưa gửi"
