"""Reading the data rows of a recognised report and checking them.

Errors block an import: not a number, a negative count, a part larger than its whole, a unit
listed twice. Warnings are shown and the user decides: broken identities, a total row that
does not match the sum of the units. Every message names the file, sheet, row and column.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from kpi.ingest.layout import GROUP_TITLE, ROMAN, SIGNATURE, TOTAL, Layout, _is_column_numbers
from kpi.ingest.readers import column_letter
from kpi.measures import COUNTS, PART_OF, broken_identities
from kpi.fmt import number
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
    sections: list[dict] = field(default_factory=list)  # rows of sections with subtotals: row, name, the
    # subtotal's counts and `units`, the sum of the unit rows under it


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
    subtotals, by_sum = _subtotal_rows(layout, names, units, total_rows,
                                       {f: c.slice(0, end) for f, c in numbers.items()})
    units[subtotals] = False
    section_rows = (~has_number & has_name & ~has_text)
    section_rows[subtotals] = True
    section = pd.Series(names.to_pandas()).where(section_rows).ffill()
    sections = _section_sums(subtotals, units, total_rows, numbers, names, excel_row)
    for found, r in zip(sections, subtotals):
        found["by_sum"] = r in by_sum
    keep = np.flatnonzero(units)
    # names as plain Python strings (object): the matching that follows looks them up in dicts
    out = pd.DataFrame({"name": pd.Series(pc.take(names, keep).to_pylist(), dtype="object"),
                        "section": pd.Series(section.iloc[keep].tolist(), dtype="object"), "row": excel_row[keep]})
    for column in COUNTS:
        out[column] = (pc.take(numbers[column], keep).to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get)
                       if column in numbers else pd.arrays.IntegerArray(np.zeros(len(keep), "int64"),
                                                                         np.ones(len(keep), bool)))
    return Extracted(out, total, problems, sections)


def _subtotal_rows(layout: Layout, names: pa.Array, units: np.ndarray, total_rows: np.ndarray,
                   numbers: dict[str, pa.Array]) -> np.ndarray:
    """Rows among `units` that are sections carrying their group's subtotals: a Roman numeral or a
    letter in the STT column ("II | Công an huyện" above "1 | Công an huyện Mỹ Tú"), or a row whose
    counts equal the sum of the unit rows under it when its STT is not a number or its title names a
    group ("UBND cấp xã")."""
    n = len(units)
    stt = (pc.utf8_trim_whitespace(layout.sheet.cells.column(layout.stt_col).slice(layout.data_start, n)
                                   .combine_chunks())
           if layout.stt_col is not None and layout.stt_col != layout.name_col else pa.nulls(n, pa.string()))
    numbered = units & _bools(pc.match_substring_regex(stt, r"^\d+[.)]?$"))
    others = np.flatnonzero(units & ~numbered)  # few, in a file that numbers its units
    roman = np.zeros(n, bool)
    roman[others] = _bools(pc.match_substring_regex(pc.take(stt, others), "(?i)" + ROMAN.pattern))
    grouped = np.zeros(n, bool)
    grouped[others] = _bools(pc.match_substring_regex(plain_all(pc.take(names, others)), GROUP_TITLE.pattern))
    # a group's title with no number is a section; a row without a number where units are numbered may be one
    candidates = units & ~roman & ~numbered & (grouped | (numbered.sum() * 2 >= units.sum()))
    if not candidates.any():
        return np.flatnonzero(roman), []
    boundaries = np.zeros(n, bool)
    boundaries[total_rows] = True
    boundaries |= roman | candidates
    under = units & ~boundaries
    matrix = np.column_stack([pc.fill_null(c, 0).to_numpy(zero_copy_only=False) for c in numbers.values()])
    known = np.column_stack([c.is_valid().to_numpy(zero_copy_only=False) for c in numbers.values()])
    summed = np.vstack([np.zeros((1, matrix.shape[1]), matrix.dtype), np.cumsum(matrix * under[:, None], axis=0)])
    stops = np.flatnonzero(boundaries)
    found, by_sum = list(np.flatnonzero(roman)), []
    for r in np.flatnonzero(candidates):
        stop = stops[np.searchsorted(stops, r, side="right")] if r < stops[-1] else n
        below = summed[stop] - summed[r + 1]
        if grouped[r] and under[r + 1:stop].any():
            found.append(r)
        elif under[r + 1:stop].sum() >= 2 and below.any() and (below[known[r]] == matrix[r][known[r]]).all():
            found.append(r)  # the sum of two or more units under it: a section, said to the user
            by_sum.append(r)
    return np.array(sorted(found), dtype=int), by_sum


def _section_sums(subtotals: np.ndarray, units: np.ndarray, total_rows: np.ndarray, numbers: dict[str, pa.Array],
                  names: pa.Array, excel_row: np.ndarray) -> list[dict]:
    """Each subtotal row with its counts and the sum of the unit rows under it, to check them."""
    stops = np.sort(np.concatenate([subtotals, total_rows, [len(units)]])).astype(int)
    out = []
    for r in subtotals:
        stop = stops[np.searchsorted(stops, r, side="right")]
        below = np.flatnonzero(units[r + 1:stop]) + r + 1
        out.append({"row": int(excel_row[r]), "name": names[int(r)].as_py(),
                    "counts": {f: c[int(r)].as_py() for f, c in numbers.items()},
                    "units": {f: int(pc.sum(pc.take(c, below)).as_py() or 0) for f, c in numbers.items()}})
    return out


# parts that real systems let exceed their whole, and why: warned about, not refused
LOOSE_PARTS = {
    ("paid_online", "fee_online"): "Hệ thống một cửa đếm hồ sơ đã thanh toán trực tuyến dù hồ sơ được nộp theo cách "
                                   "nào, nên số này có thể lớn hơn số hồ sơ trực tuyến có nghĩa vụ tài chính; theo "
                                   "định nghĩa của Phụ lục 1, tỷ lệ thanh toán không dùng tiền mặt của đơn vị sẽ "
                                   "trên 100%.",
    ("apology_letters", "resolved_late"): "Thư xin lỗi được gửi cả cho hồ sơ đang giải quyết đã quá hạn, nên số thư "
                                          "có thể lớn hơn số hồ sơ đã giải quyết quá hạn; tỷ lệ thư xin lỗi của đơn "
                                          "vị sẽ trên 100%.",
}
LISTED = 5  # units named in a warning about many rows; the others are counted


def _listed(items: list[str]) -> str:
    shown = "; ".join(items[:LISTED])
    return shown + (f" và {number(len(items) - LISTED)} đơn vị khác" if len(items) > LISTED else "")


def check(extracted: Extracted, layout: Layout, file_name: str) -> list[Problem]:
    """Parts larger than their whole (errors, but for the parts real systems count otherwise), broken
    identities, section subtotals and the total row (warnings). What many rows share is said once."""
    where = Where(file_name, layout)
    rows = extracted.rows
    given = set(layout.columns.values())
    problems: list[Problem] = []
    for part, whole in PART_OF:
        if part not in given or whole not in given:
            continue
        bad = rows[(rows[part] > rows[whole]).fillna(False)]
        if bad.empty:
            continue
        if (part, whole) in LOOSE_PARTS:
            cases = [f"{r['name']} (dòng {r['row']}: {number(r[part])} > {number(r[whole])})" for _, r in bad.iterrows()]
            problems.append(Problem(WARNING, f"{where(bad['row'].iloc[0], part)}: ở {number(len(bad))} đơn vị, "
                                             f"«{COUNTS[part]}» lớn hơn «{COUNTS[whole]}» (cột "
                                             f"{column_letter(where.col_of[whole])}): {_listed(cases)}. "
                                             f"{LOOSE_PARTS[part, whole]}"))
            continue
        for _, r in bad.iterrows():
            problems.append(Problem(ERROR, f"{where(r['row'], part)}: {number(r[part])} lớn hơn "
                                           f"«{COUNTS[whole]}» ({number(r[whole])}, cột "
                                           f"{column_letter(where.col_of[whole])}) của {r['name']}."))
    for whole, parts, bad, summed in broken_identities(rows):
        listed = " + ".join(COUNTS[p] for p in parts)
        if len(bad) == 1:
            r, total = bad.iloc[0], summed.iloc[0]
            terms = " + ".join(f"{COUNTS[p]} {number(r[p])}" for p in parts)
            problems.append(Problem(WARNING, f"{where(r['row'], whole)}: {r['name']} có «{COUNTS[whole]}» "
                                             f"{number(r[whole])} nhưng {terms} = {number(total)}."))
            continue
        cases = [f"{r['name']} (dòng {r['row']}: {number(r[whole])} ≠ {number(total)})"
                 for (_, r), total in zip(bad.iterrows(), summed)]
        problems.append(Problem(WARNING, f"{where(bad['row'].iloc[0], whole)}: ở {number(len(bad))} đơn vị, "
                                         f"«{COUNTS[whole]}» khác {listed}: {_listed(cases)}. Hệ thống một cửa có thể "
                                         "tính các cột theo cách khác (hồ sơ trả lại, rút, chờ bổ sung); hãy xem lại "
                                         "tệp nếu không phải vậy."))
    summed = [s for s in extracted.sections if s.get("by_sum")]
    if summed:
        listed = "; ".join(f"dòng {s['row']} «{s['name']}»" for s in summed[:LISTED])
        more = f" và {number(len(summed) - LISTED)} dòng khác" if len(summed) > LISTED else ""
        problems.append(Problem(WARNING, f"Tệp {file_name}, trang «{layout.sheet.name}»: {listed}{more} không có số thứ "
                                         "tự và bằng tổng các đơn vị ngay dưới, nên được coi là dòng tổng nhóm, không "
                                         "nhập như một đơn vị. Nếu đó là một đơn vị, hãy ghi số thứ tự cho dòng đó."))
    for section in extracted.sections:
        wrong = [f"{COUNTS[f]} ghi {number(v)}, cộng các đơn vị được {number(section['units'][f])}"
                 for f, v in section["counts"].items() if v is not None and v != section["units"][f]]
        if wrong:
            problems.append(Problem(WARNING, f"{where(section['row'])}: dòng nhóm «{section['name']}» không khớp với "
                                             f"các đơn vị trong nhóm: {'; '.join(wrong)}."))
    total = extracted.total
    if total is not None:
        wrong = {f: (total[f], int(rows[f].sum())) for f in layout.columns.values()
                 if total.get(f) is not None and int(rows[f].sum()) != total[f]}
        if len(wrong) == 1:
            (f, (said, summed)), = wrong.items()
            problems.append(Problem(WARNING, f"{where(total['row'], f)}: dòng tổng cộng ghi {number(said)} nhưng "
                                             f"cộng các đơn vị được {number(summed)}."))
        elif wrong and all(summed == 2 * said for said, summed in wrong.values()):
            f = next(iter(wrong))
            problems.append(Problem(WARNING, f"{where(total['row'])}: cộng các đơn vị được gấp đôi dòng tổng cộng "
                                             f"ở {number(len(wrong))} cột (như «{COUNTS[f]}»: ghi "
                                             f"{number(wrong[f][0])}, cộng được {number(wrong[f][1])}): có thể tệp "
                                             "có các dòng tổng nhóm được đọc như đơn vị. Hãy xem danh sách đơn vị "
                                             "dưới đây; nếu có dòng là tổng của một nhóm, hãy bỏ qua dòng đó."))
        elif wrong:
            listed = "; ".join(f"cột {column_letter(where.col_of[f])} ({COUNTS[f]}) ghi {number(said)}, cộng được "
                               f"{number(summed)}" for f, (said, summed) in wrong.items())
            problems.append(Problem(WARNING, f"{where(total['row'])}: dòng tổng cộng không khớp với cộng các đơn vị "
                                             f"ở {number(len(wrong))} cột: {listed}."))
    return problems
