"""The core: tables, layouts, units, numbers, rules (the checker), locate (error localization),
messages (findings in words), the master model and the workbook contract.

Plain data only: nothing here imports openpyxl, xlwings, sqlite3 or subprocess, nor knows where a
table came from or where the master goes (a test holds it to that).
"""
