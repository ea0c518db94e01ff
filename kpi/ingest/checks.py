"""Reading the data rows of a recognised report and checking them.

Errors block an import: not a number, a negative count, a part larger than its whole, a unit
listed twice. Warnings are shown and the user decides: broken identities, a total row that
does not match the sum of the units. Every message names the file, sheet, row and column.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

import pandas as pd

from kpi.ingest.layout import COLUMN_NUMBER, ROMAN, SIGNATURE, TOTAL, Layout, _is_column_numbers, column_letter
from kpi.measures import COUNTS, IDENTITIES, IDENTITIES_ACROSS, PART_OF
from kpi.text import plain

ERROR, WARNING = "error", "warning"


@dataclass(frozen=True)
class Problem:
    level: str
    message: str


@dataclass
class Extracted:
    rows: pd.DataFrame  # name, section, row (as Excel numbers it), *COUNTS (Int64, NA when empty)
    total: dict | None  # the total row: row and its counts
    problems: list[Problem]


_THOUSANDS = re.compile(r"^-?\d{1,3}([.,]\d{3})+$")
_INTEGER = re.compile(r"^-?\d+$")
_EMPTY = {"-", "—", "–", "x"}


def to_count(value) -> tuple[int | None, str | None]:
    """A cell as a count: (number, None) or (None, what is wrong). Empty stays None."""
    if value is None:
        return None, None
    if isinstance(value, bool):
        return None, f"«{value}» không phải là số"
    if isinstance(value, int):
        return value, None
    if isinstance(value, float):
        return (int(value), None) if value.is_integer() else (None, f"«{value}» không phải là số nguyên")
    text = str(value).replace("\u00a0", "").replace(" ", "").strip()
    if text in _EMPTY or not text:
        return None, None
    if _THOUSANDS.match(text):
        return int(re.sub(r"[.,]", "", text)), None
    if _INTEGER.match(text):
        return int(text), None
    return None, f"«{value}» không phải là số"


class Where:
    """Message prefixes: 'Tệp a.xlsx, trang «Biểu 06», dòng 12, cột D (Trực tuyến)'."""

    def __init__(self, file_name: str, layout: Layout):
        self.file, self.layout = file_name, layout
        self.col_of = {f: c for c, f in layout.columns.items()}

    def __call__(self, row: int, field: str | None = None) -> str:
        where = f"Tệp {self.file}, trang «{self.layout.sheet.name}», dòng {row}"
        if field is not None:
            c = self.col_of[field]
            where += f", cột {column_letter(c)} ({self.layout.headers[c]})"
        return where


def extract(layout: Layout, file_name: str, progress: Callable[[float], None] | None = None) -> Extracted:
    rows = layout.sheet.rows
    where = Where(file_name, layout)
    fields = list(layout.columns.items())
    problems: list[Problem] = []
    records, total, section = [], None, None
    span = max(len(rows) - layout.data_start, 1)
    for r in range(layout.data_start, len(rows)):
        if progress and (r - layout.data_start) % 5000 == 0:
            progress((r - layout.data_start) / span)
        row = rows[r]
        cells = [(f, row[c] if c < len(row) else None) for c, f in fields]
        name = row[layout.name_col] if layout.name_col < len(row) else None
        filled = [v for _, v in cells if v is not None]
        if name is None and not filled:
            continue
        if not any(isinstance(v, (int, float)) for v in filled):
            words = " ".join(plain(v) for v in row if isinstance(v, str))
            if SIGNATURE.search(words):
                if records:
                    break  # the signature block: the table has ended
                continue
            if not filled or all(str(v).strip() in {"-", "—"} for v in filled):
                section = str(name) if name is not None else section  # "I", "Cơ quan chuyên môn"…
                continue
        if name is None:
            if _is_column_numbers(row):
                continue
            problems.append(Problem(ERROR, f"{where(r + 1)}: dòng có số liệu nhưng không có tên đơn vị."))
            continue
        name = str(name).strip()
        stt = row[layout.stt_col] if layout.stt_col is not None and layout.stt_col < len(row) else None
        values = {}
        for f, value in cells:
            number, wrong = to_count(value)
            if wrong:
                problems.append(Problem(ERROR, f"{where(r + 1, f)}: {wrong}."))
            elif number is not None and number < 0:
                problems.append(Problem(ERROR, f"{where(r + 1, f)}: số âm ({number})."))
                number = None
            values[f] = number
        if TOTAL.match(plain(name)):
            total = {"row": r + 1, **values}
            continue
        if stt is not None and ROMAN.match(plain(str(stt))) and COLUMN_NUMBER.match(str(stt)) is None \
                and all(v is None for v in values.values()):
            section = name
            continue
        records.append({"name": name, "section": section, "row": r + 1, **values})
    frame = pd.DataFrame.from_records(records, columns=["name", "section", "row", *COUNTS])
    frame = frame.astype({c: "Int64" for c in COUNTS})
    return Extracted(frame, total, problems)


def check(extracted: Extracted, layout: Layout, file_name: str) -> list[Problem]:
    """Parts larger than their whole (errors), identities and the total row (warnings)."""
    where = Where(file_name, layout)
    rows = extracted.rows
    given = set(layout.columns.values())
    problems: list[Problem] = []
    for part, whole in PART_OF:
        if part not in given or whole not in given:
            continue
        bad = rows[(rows[part] > rows[whole]).fillna(False)]
        for _, r in bad.iterrows():
            problems.append(Problem(ERROR, f"{where(r['row'], part)}: {r[part]} lớn hơn "
                                           f"«{COUNTS[whole]}» ({r[whole]}, cột "
                                           f"{column_letter(where.col_of[whole])}) của {r['name']}."))
    identities = [(w, p) for w, p in IDENTITIES.items()] + [(w, p) for w, p in IDENTITIES_ACROSS.items()]
    for whole, parts in identities:
        if whole not in given or not set(parts) <= given:
            continue
        summed = rows[list(parts)].sum(axis=1, skipna=False)
        bad = rows[(rows[whole] != summed).fillna(False)]
        for _, r in bad.iterrows():
            listed = " + ".join(f"{COUNTS[p]} {r[p]}" for p in parts)
            problems.append(Problem(WARNING, f"{where(r['row'], whole)}: {r['name']} có «{COUNTS[whole]}» "
                                             f"{r[whole]} nhưng {listed} = {summed[_]}."))
    total = extracted.total
    if total is not None:
        for f in layout.columns.values():
            if total.get(f) is None:
                continue
            summed = rows[f].sum()
            if int(summed) != total[f]:
                problems.append(Problem(WARNING, f"{where(total['row'], f)}: dòng tổng cộng ghi {total[f]} "
                                                 f"nhưng cộng các đơn vị được {int(summed)}."))
    return problems
