"""pandas views of the master for analysts: one row per unit, one column per figure by meaning key.

    from tthc_xl.core.frames import master_frame
    frame = master_frame(outcome.master)       # outcome = files.sources.consolidate(...)
    frame.groupby("group")["received"].sum()

pandas is imported when a view is asked for, never by the rest of the core.
"""

from __future__ import annotations

from tthc_xl.core.master import LABEL, Master
from tthc_xl.core.model import UNIT, Table


def table_frame(table: Table):
    """A table read from a file: its unit rows, the readable figures by meaning key (unreadable: NaN)."""
    import pandas as pd

    layout = table.layout
    records = [{"unit": row.unit or row.label, "group": row.group, **layout.by_key(row.values())} for row in table.rows_of(UNIT)]
    keys = [layout.column(n).key for n in layout.count_columns]
    return pd.DataFrame.from_records(records, columns=["unit", "group", *keys]).set_index("unit")


def master_frame(master: Master):
    """The master's unit rows in sheet order, with `group`, `reported` and the figures by meaning key
    (a unit that sent nothing has NaN figures); totals are `frame.sum()`, as the Tổng cộng row."""
    import pandas as pd

    layout = master.layout
    keys = [layout.column(n).key for n in layout.count_columns]
    records = []
    for row in master.rows_of(UNIT):
        values = {layout.column(n).key: slot.value for n, slot in row.slots.items()
                  if n in layout.count_columns and slot.role != LABEL}  # "chưa gửi" is a mark, not a figure
        records.append({"unit": row.label, "group": row.group, "reported": row.reported, **values})
    return pd.DataFrame.from_records(records, columns=["unit", "group", "reported", *keys]).set_index("unit")
