"""Reading uploaded bytes into sheets of cell values: .xlsx and .xls with python-calamine,
.csv in UTF-8 or the Windows code pages older tools write. The file's own bytes, not its name,
say what it is; a file that is too big, or a zip that would unpack into far more than it
weighs, is refused before it is parsed."""
from __future__ import annotations

import csv
import io
import os
import re
import zipfile
from dataclasses import dataclass, field

import python_calamine

from kpi.text import nfc


class InputError(ValueError):
    """A file that cannot be imported, with a Vietnamese message saying what and where."""


@dataclass(frozen=True)
class Limits:
    max_bytes: int = field(default_factory=lambda: int(float(os.environ.get("KPI_MAX_UPLOAD_MB", 20)) * 1048576))
    max_rows: int = 300_000
    max_columns: int = 200
    max_unpacked: int = 600 * 1024 * 1024  # all entries of an xlsx, unpacked
    max_ratio: int = 200  # unpacked size / packed size of one zip entry
    max_entries: int = 5_000


@dataclass
class Sheet:
    name: str
    rows: list[list]  # cell values: str (NFC), int, float, or None for an empty cell
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)  # (row0, col0, row1, col1), 0-based


XLSX, XLS, CSV = "xlsx", "xls", "csv"
_ZIP, _OLE = b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def kind_of(name: str, data: bytes) -> str:
    if not data:
        raise InputError(f"Tệp {name} rỗng (0 byte).")
    if data.startswith(_ZIP):
        return XLSX
    if data.startswith(_OLE):
        return XLS
    if b"\x00" in data[:4096]:
        raise InputError(f"Tệp {name} không phải bảng tính (.xlsx, .xls) hay tệp văn bản .csv.")
    return CSV


def read(name: str, data: bytes, limits: Limits | None = None) -> list[Sheet]:
    """Every sheet of the file, each as rows of cell values."""
    limits = limits or Limits()
    if len(data) > limits.max_bytes:
        raise InputError(f"Tệp {name} nặng {len(data) / 1048576:.1f} MB, vượt giới hạn "
                         f"{limits.max_bytes / 1048576:g} MB.".replace(".", ","))
    kind = kind_of(name, data)
    if kind == CSV:
        return [_read_csv(name, data, limits)]
    if kind == XLSX:
        _check_zip(name, data, limits)
    try:
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as error:  # calamine raises its own error types for broken files
        raise InputError(f"Tệp {name} bị hỏng hoặc không đọc được như bảng tính Excel ({error}).") from None
    sheets = []
    for index, sheet_name in enumerate(book.sheet_names):
        sheet = book.get_sheet_by_index(index)
        if sheet.total_height > limits.max_rows or sheet.total_width > limits.max_columns:
            raise InputError(f"Tệp {name}, trang «{sheet_name}»: {sheet.total_height} dòng × {sheet.total_width} cột, "
                             f"vượt giới hạn {limits.max_rows} dòng × {limits.max_columns} cột.")
        rows = [_clean(row) for row in sheet.to_python(skip_empty_area=False)]
        merged = [(r0, c0, r1, c1) for (r0, c0), (r1, c1) in (sheet.merged_cell_ranges or [])]
        sheets.append(Sheet(sheet_name, rows, merged))
    return sheets


def _clean(row: list) -> list:
    """Empty cells become None and text NFC without surrounding spaces; numbers stay as they are.
    (A row at a time, no call per cell: a sheet may hold a million cells.)"""
    return [None if v == "" else (nfc(v).strip() or None) if type(v) is str else v for v in row]


def _check_zip(name: str, data: bytes, limits: Limits) -> None:
    """Look inside before parsing: a zip bomb is refused, a Word file named .xlsx is named."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = archive.infolist()
    except zipfile.BadZipFile:
        raise InputError(f"Tệp {name} bị hỏng (tệp nén .xlsx không đầy đủ, có thể tải về chưa xong).") from None
    names = {e.filename for e in entries}
    if "xl/workbook.xml" not in names:
        what = "tài liệu Word" if "word/document.xml" in names else "tệp nén khác"
        raise InputError(f"Tệp {name} không phải bảng tính Excel mà là {what}.")
    if len(entries) > limits.max_entries:
        raise InputError(f"Tệp {name} có {len(entries)} thành phần nén, quá nhiều cho một bảng tính.")
    unpacked = sum(e.file_size for e in entries)
    for entry in entries:
        if entry.file_size > limits.max_ratio * max(entry.compress_size, 1) and entry.file_size > 1024 * 1024:
            raise InputError(f"Tệp {name} bị từ chối: thành phần {entry.filename} giải nén ra "
                             f"{entry.file_size // 1048576} MB từ {max(entry.compress_size // 1024, 1)} KB "
                             f"(tỷ lệ nén bất thường, có thể là tệp độc hại).")
    if unpacked > limits.max_unpacked:
        raise InputError(f"Tệp {name} bị từ chối: giải nén ra {unpacked // 1048576} MB, vượt giới hạn "
                         f"{limits.max_unpacked // 1048576} MB.")


_INTEGER = re.compile(r"^\s*-?\d+\s*$")

# bytes that only Vietnamese text in Windows-1258 uses: Ă ă Đ đ Ơ ơ Ư ư and the tone marks
_CP1258_MARKS = set(b"\xc3\xe3\xd0\xf0\xd5\xf5\xdd\xfd\xcc\xec\xd2\xde\xf2")


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), else Windows-1258 when Vietnamese marks show, else 1252; NFC."""
    try:
        return nfc(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        pass
    codec = "cp1258" if _CP1258_MARKS & set(data) else "cp1252"
    return nfc(data.decode(codec, errors="replace"))


def _read_csv(name: str, data: bytes, limits: Limits) -> Sheet:
    text = decode(data)
    sample = "\n".join(text.splitlines()[:20])
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=",;\t").delimiter
    except csv.Error:
        delimiter = ";" if sample.count(";") > sample.count(",") else ","
    rows = []
    for row in csv.reader(io.StringIO(text), delimiter=delimiter):
        if len(rows) >= limits.max_rows:
            raise InputError(f"Tệp {name} có hơn {limits.max_rows} dòng, vượt giới hạn.")
        if len(row) > limits.max_columns:
            raise InputError(f"Tệp {name}, dòng {len(rows) + 1}: {len(row)} cột, vượt giới hạn {limits.max_columns}.")
        rows.append(_clean([int(v) if _INTEGER.match(v) else v for v in row]))
    return Sheet(os.path.splitext(os.path.basename(name))[0] or "CSV", rows)
