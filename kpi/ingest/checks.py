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

from kpi.ingest.layout import SIGNATURE, TOTAL, Layout, _is_column_numbers, column_letter
from kpi.measures import COUNTS, PART_OF, broken_identities
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


def _parse(column: pd.Series) -> tuple[pd.Series, pd.Series]:
    """A column of cells as counts (Int64, NA when empty) and what is wrong with each cell (or NA)."""
    kinds = column.map(type)
    numbers = pd.to_numeric(column.where(kinds.isin([int, float])), errors="coerce")
    wrong = pd.Series(pd.NA, index=column.index, dtype="object")
    fractional = numbers.notna() & (numbers % 1 != 0)
    wrong[fractional] = column[fractional].map(lambda v: f"«{v}» không phải là số nguyên")
    numbers = numbers.where(~fractional)
    texts = kinds == str
    if texts.any():  # numbers written as text: "1.234", "12"
        numbers = numbers.astype("Float64")
        written = column[texts].astype("str").str.replace(r"[\s\u00a0]", "", regex=True)
        clean = written.str.fullmatch(r"-?\d{1,3}(?:[.,]\d{3})+|-?\d+")
        numbers[written.index[clean]] = pd.to_numeric(written[clean].str.replace(r"[.,]", "", regex=True)).astype(
            "Float64").to_numpy()
        rest = column[texts][~clean.to_numpy()].map(to_count)  # dashes, words: to_count says which
        numbers[rest.index] = rest.map(lambda p: p[0]).astype("Float64")
        wrong[rest.index] = rest.map(lambda p: p[1] if p[1] else pd.NA)
    others = ~kinds.isin([int, float, str, type(None)])  # dates, booleans
    wrong[others] = column[others].map(lambda v: f"«{v}» không phải là số")
    return numbers.astype("Int64"), wrong


def extract(layout: Layout, file_name: str, progress: Callable[[float], None] | None = None) -> Extracted:
    """The unit rows below the header, column by column; section, blank, total, column-number and
    signature rows are told apart, and the table ends at the signature block."""
    body = layout.sheet.rows[layout.data_start:]
    where = Where(file_name, layout)
    frame = pd.DataFrame(body, columns=range(max((len(r) for r in body), default=0)))
    frame.index = range(layout.data_start + 1, layout.data_start + 1 + len(frame))  # the rows as Excel numbers them
    blank = pd.Series(None, index=frame.index, dtype="object")
    names = frame[layout.name_col] if layout.name_col in frame else blank
    fields = {c: f for c, f in layout.columns.items()}
    counts, wrong = {}, {}
    for i, (c, f) in enumerate(fields.items()):
        counts[f], wrong[f] = _parse(frame[c] if c in frame else blank)
        if progress:
            progress((i + 1) / len(fields))
    numbers = pd.DataFrame(counts)
    errors = pd.DataFrame(wrong)
    has_number = numbers.notna().any(axis=1)
    has_text = errors.notna().any(axis=1)
    has_name = names.notna()

    # rows without a number: the signature block ends the table; others are sections or blank
    texty = ~has_number & (has_name | has_text)
    first_unit = (has_number & has_name).idxmax() if (has_number & has_name).any() else None
    for r in frame.index[texty]:
        words = " ".join(plain(v) for v in frame.loc[r] if isinstance(v, str))
        if first_unit is not None and r > first_unit and SIGNATURE.search(words):
            keep = frame.index < r
            frame, names, numbers, errors = frame[keep], names[keep], numbers[keep], errors[keep]
            has_number, has_text, has_name, texty = has_number[keep], has_text[keep], has_name[keep], texty[keep]
            break
    dashes = errors.isna().all(axis=1) | frame[list(fields)].apply(
        lambda col: col.isna() | col.isin(["-", "—", "–"])).all(axis=1)
    section_rows = texty & has_name & dashes
    section = names.where(section_rows).ffill().reindex(frame.index)

    problems: list[Problem] = []
    numbered = has_number | (has_text & ~section_rows)
    nameless = numbered & ~has_name
    for r in frame.index[nameless]:
        if not _is_column_numbers(list(frame.loc[r])):
            problems.append(Problem(ERROR, f"{where(r)}: dòng có số liệu nhưng không có tên đơn vị."))
    data = numbered & has_name
    text_names = names[data].astype("str").str.strip()
    candidates = text_names.str.lower().str.match(r"^(t[ôoổ]|c[ộo]|to)")
    totals = text_names[candidates][text_names[candidates].map(lambda n: bool(TOTAL.match(plain(n))))].index

    for f in fields.values():
        bad = errors[f][data & errors[f].notna()]
        problems += [Problem(ERROR, f"{where(r, f)}: {message}.") for r, message in bad.items()]
        negative = numbers[f][data & (numbers[f] < 0).fillna(False)]
        problems += [Problem(ERROR, f"{where(r, f)}: số âm ({value}).") for r, value in negative.items()]
    numbers = numbers.mask(numbers < 0)

    total = None
    if len(totals):
        r = totals[-1]
        total = {"row": r, **{f: (None if pd.isna(v) else int(v)) for f, v in numbers.loc[r].items()}}
    units = data.copy()
    units[totals] = False
    out = pd.DataFrame({"name": text_names[units[data]], "section": section[units], "row": frame.index[units]})
    out = out.reset_index(drop=True)
    for column in COUNTS:
        out[column] = (numbers.loc[units, column].to_numpy() if column in numbers else pd.NA)
    out = out.astype({c: "Int64" for c in COUNTS})
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
