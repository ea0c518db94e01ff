"""Reading the data rows of a recognised report and checking them.

Errors block an import: not a number, a negative count, a part larger than its whole, a unit
listed twice. Warnings are shown and the user decides: broken identities, a total row that
does not match the sum of the units. Every message names the file, sheet, row and column.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from kpi.ingest.layout import SIGNATURE, TOTAL, Layout, _is_column_numbers, column_letter
from kpi.measures import COUNTS, PART_OF, broken_identities
from kpi.text import plain_all

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


_EMPTY = ["-", "—", "–", "x"]
# a count as files write it: "1234", "1.234", "1,234", "1 234"; at most 15 digits
_COUNT = r"^-?(\d{1,3}([.,]\d{3}){1,4}|\d{1,15})$"
_DECIMAL = re.compile(r"^-?\d+[.,]\d+$")


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


def parse_counts(cells: pa.ChunkedArray | pa.Array) -> tuple[pa.Array, np.ndarray, list[str]]:
    """A column of cell texts as counts: (int64 with null when empty, the positions of cells
    that are not a count, what is wrong with each of them). A dash or "x" is empty."""
    cells = cells.combine_chunks() if isinstance(cells, pa.ChunkedArray) else cells
    digits = pc.fill_null(pc.and_(pc.and_(pc.string_is_ascii(cells), pc.utf8_is_digit(cells)),
                                  pc.less_equal(pc.utf8_length(cells), 15)), False)  # 0-9 only, not "１２"
    numbers = pc.cast(pc.if_else(digits, cells, None), pa.int64())
    others = np.flatnonzero(pc.and_(pc.is_valid(cells), pc.invert(digits)).to_numpy(zero_copy_only=False))
    if not len(others):  # the usual column: every cell plain digits or empty
        return numbers, others, []
    # the rest, as people write them: "1.234", "1,234", "1 234", "-3", "-", "x", "2.5", "mười"
    rest = pc.take(cells, others)
    text = pc.replace_substring_regex(rest, r"[\s\p{Zs}]+", "")
    valid = pc.fill_null(pc.match_substring_regex(text, _COUNT), False)
    parsed = pc.cast(pc.replace_substring_regex(pc.if_else(valid, text, None), r"[.,]", ""), pa.int64())
    values = numbers.to_numpy(zero_copy_only=False).astype("float64")  # NaN for null; exact to 15 digits
    values[others] = parsed.to_numpy(zero_copy_only=False)
    numbers = pa.array(values, pa.float64(), from_pandas=True).cast(pa.int64())
    wrong = pc.invert(pc.or_(valid, pc.is_in(text, pa.array(_EMPTY)))).to_numpy(zero_copy_only=False)
    where = others[wrong]
    messages = [f"«{v}» không phải là số nguyên" if _DECIMAL.match(v) else f"«{v}» không phải là số"
                for v in pc.filter(rest, wrong).to_pylist()]
    return numbers, where, messages


def _bools(array) -> np.ndarray:
    return pc.fill_null(array, False).to_numpy(zero_copy_only=False)


def extract(layout: Layout, file_name: str, progress: Callable[[float], None] | None = None) -> Extracted:
    """The unit rows below the header, column by column; section, blank, total, column-number and
    signature rows are told apart, and the table ends at the signature block."""
    sheet = layout.sheet
    body = sheet.cells.slice(layout.data_start)
    excel_row = np.arange(layout.data_start + 1, layout.data_start + 1 + body.num_rows)  # as Excel numbers them
    where = Where(file_name, layout)
    names = layout.name_cells()
    numbers, wrong = {}, {}
    has_number = np.zeros(body.num_rows, bool)
    has_text = np.zeros(body.num_rows, bool)  # a cell that is not a count
    for i, (c, f) in enumerate(layout.columns.items()):
        numbers[f], where_wrong, messages = parse_counts(body.column(c))
        wrong[f] = dict(zip(where_wrong.tolist(), messages))
        has_number |= numbers[f].is_valid().to_numpy(zero_copy_only=False)
        has_text[where_wrong] = True
        if progress:
            progress((i + 1) / len(layout.columns))
    has_name = names.is_valid().to_numpy(zero_copy_only=False)

    # rows without a number: the signature block ends the table; others are sections or blank
    end = body.num_rows
    units_rows = np.flatnonzero(has_number & has_name)
    texty = np.flatnonzero(~has_number & (has_name | has_text))
    later = texty[texty > units_rows[0]] if len(units_rows) else texty[:0]
    if len(later):
        row_words = pc.binary_join_element_wise(*pc.take(body, later).columns, " ", null_handling="skip")
        signed = np.flatnonzero(_bools(pc.match_substring_regex(plain_all(row_words), SIGNATURE.pattern)))
        if len(signed):
            end = later[signed[0]]
    has_number, has_text, has_name, excel_row = has_number[:end], has_text[:end], has_name[:end], excel_row[:end]
    names = names.slice(0, end)

    section_rows = ~has_number & has_name & ~has_text
    section = pd.Series(names.to_pandas()).where(section_rows).ffill()
    data = has_number | has_text
    problems: list[Problem] = []
    nameless = np.flatnonzero(data & ~has_name)
    cells = body.take(nameless).columns
    for r, row in zip(nameless, zip(*(column.to_pylist() for column in cells))):
        if not _is_column_numbers(row):
            problems.append(Problem(ERROR, f"{where(excel_row[r])}: dòng có số liệu nhưng không có tên đơn vị."))
    data &= has_name
    maybe_total = np.flatnonzero(data & _bools(pc.match_substring_regex(names, r"^(?i)[tc]")))  # Tổng, Cộng, Toàn
    said = plain_all(pc.take(names, maybe_total))
    total_rows = maybe_total[_bools(pc.match_substring_regex(said, TOTAL.pattern))]

    for f, column in numbers.items():
        column = column.slice(0, end)
        problems += [Problem(ERROR, f"{where(excel_row[r], f)}: {message}.")
                     for r, message in wrong[f].items() if r < end and data[r]]
        negative = np.flatnonzero(data & _bools(pc.less(column, 0)))
        problems += [Problem(ERROR, f"{where(excel_row[r], f)}: số âm ({column[r].as_py()}).") for r in negative]
        numbers[f] = pc.if_else(pc.less(column, 0), None, column)

    total = None
    if len(total_rows):
        r = total_rows[-1]
        total = {"row": int(excel_row[r]), **{f: column[r].as_py() for f, column in numbers.items()}}
    units = data.copy()
    units[total_rows] = False
    keep = np.flatnonzero(units)
    # names as plain Python strings (object): the matching that follows looks them up in dicts
    out = pd.DataFrame({"name": pd.Series(pc.take(names, keep).to_pylist(), dtype="object"),
                        "section": pd.Series(section.iloc[keep].tolist(), dtype="object"), "row": excel_row[keep]})
    for column in COUNTS:
        out[column] = (pc.take(numbers[column], keep).to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get)
                       if column in numbers else pd.arrays.IntegerArray(np.zeros(len(keep), "int64"),
                                                                         np.ones(len(keep), bool)))
    return Extracted(out, total, problems)


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
    for whole, parts, bad, summed in broken_identities(rows):
        for (_, r), total in zip(bad.iterrows(), summed):
            listed = " + ".join(f"{COUNTS[p]} {r[p]}" for p in parts)
            problems.append(Problem(WARNING, f"{where(r['row'], whole)}: {r['name']} có «{COUNTS[whole]}» "
                                             f"{r[whole]} nhưng {listed} = {total}."))
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
