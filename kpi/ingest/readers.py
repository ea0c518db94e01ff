"""Reading uploaded bytes into sheets of cell texts: .xlsx and .xls with fastexcel (calamine,
handing over Arrow columns: a sheet of a million cells never becomes a million Python objects),
.csv in UTF-8 or the Windows code pages older tools write. The file's own bytes, not its name,
say what it is; a file that is too big, or a zip that would unpack into far more than it
weighs, is refused before it is parsed."""
from __future__ import annotations

import csv
import io
import os
import posixpath
import re
import zipfile
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import fastexcel
import pyarrow as pa
import pyarrow.compute as pc
import python_calamine
from defusedxml import ElementTree

from kpi.text import nfc, only_where


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
    """Column c of `cells` is the sheet's column c (A = 0) and row r its row r + 1. Every cell is
    its text as the sheet shows it ("58", "1.234", "2.5"), NFC, without surrounding spaces, or
    null when empty."""

    name: str
    cells: pa.Table
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)  # (row0, col0, row1, col1), 0-based

    @property
    def height(self) -> int:
        return self.cells.num_rows

    @property
    def width(self) -> int:
        return self.cells.num_columns

    def rows(self, start: int = 0, stop: int | None = None) -> list[list[str | None]]:
        """Rows start..stop-1 as lists of cells (for the title, the header and a few rows more)."""
        stop = self.height if stop is None else min(stop, self.height)
        part = self.cells.slice(start, max(stop - start, 0))
        return [list(row) for row in zip(*(column.to_pylist() for column in part.columns))]


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
    """Every sheet of the file."""
    limits = limits or Limits()
    check_size(name, data, limits)
    kind = kind_of(name, data)
    if kind == CSV:
        return [_read_csv(name, data, limits)]
    archive = check_zip(name, data, limits) if kind == XLSX else None
    # the merged ranges are read on a second thread while calamine, which lets go of the GIL,
    # parses the cells
    with ThreadPoolExecutor(max_workers=1) as pool:
        merges = pool.submit(_xlsx_merges, name, archive) if archive is not None else None
        sheets = _read_cells(name, data, limits)
        merged = merges.result() if merges is not None else _xls_merges(name, data)
    for sheet in sheets:
        sheet.merged = merged.get(sheet.name, [])
    return sheets


def _read_cells(name: str, data: bytes, limits: Limits) -> list[Sheet]:
    try:
        book = fastexcel.read_excel(data)
        sheets = []
        for sheet_name in book.sheet_names:
            loaded = book.load_sheet(sheet_name, header_row=None, skip_rows=0, dtypes="string")
            if loaded.total_height > limits.max_rows or loaded.width > limits.max_columns:
                raise InputError(f"Tệp {name}, trang «{sheet_name}»: {loaded.total_height} dòng × {loaded.width} "
                                 f"cột, vượt giới hạn {limits.max_rows} dòng × {limits.max_columns} cột.")
            columns = loaded.available_columns()
            first = columns[0].absolute_index if columns else 0  # the range starts at its first filled column
            cells = [pa.nulls(loaded.height, pa.string())] * first + list(loaded.to_arrow().columns)
            sheets.append(Sheet(sheet_name, _table(cells)))
    except fastexcel.FastExcelError as error:
        detail = str(error).splitlines()[0]
        raise InputError(f"Tệp {name} bị hỏng hoặc không đọc được như bảng tính Excel ({detail}).") from None
    return sheets


def _table(columns: list[pa.Array]) -> pa.Table:
    """Columns of cell texts, NFC and trimmed, with empty text as null."""
    clean = []
    for column in columns:
        text = pc.utf8_trim_whitespace(column.cast(pa.string()))
        text = only_where(text, pc.invert(pc.string_is_ascii(text)), lambda t: pc.utf8_normalize(t, "NFC"))
        clean.append(pc.if_else(pc.equal(text, ""), pa.scalar(None, pa.string()), text))
    return pa.table(clean, names=[str(c) for c in range(len(clean))])


def check_size(name: str, data: bytes, limits: Limits) -> None:
    if len(data) > limits.max_bytes:
        raise InputError(f"Tệp {name} nặng {len(data) / 1048576:.1f} MB, vượt giới hạn "
                         f"{limits.max_bytes / 1048576:g} MB.".replace(".", ","))


def check_zip(name: str, data: bytes, limits: Limits) -> zipfile.ZipFile:
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
    return archive


_MERGE = re.compile(rb"<(?:\w+:)?mergeCell\s[^>]*?\bref=\"([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?\"")


def _xlsx_merges(name: str, archive: zipfile.ZipFile) -> dict[str, list[tuple[int, int, int, int]]]:
    """Each sheet's merged ranges, read from its XML. Markup "<mergeCell" never occurs in cell text
    (XML escapes "<"), so a sheet of 60 MB is scanned with `in`, not parsed."""
    def local(tag: str) -> str:
        return tag.rsplit("}", 1)[-1]

    try:
        book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    except (KeyError, ElementTree.ParseError):
        return {}
    targets = {r.get("Id"): r.get("Target", "") for r in rels}
    merges = {}
    for sheet in (e for e in book.iter() if local(e.tag) == "sheet"):
        rid = next((v for k, v in sheet.attrib.items() if local(k) == "id"), None)
        target = targets.get(rid, "")
        part = target.lstrip("/") if target.startswith("/") else posixpath.normpath(f"xl/{target}")
        refs, previous = set(), b""
        try:
            with archive.open(part) as stream:
                while chunk := stream.read(1 << 22):
                    joined = previous + chunk
                    if b"mergeCell" in joined:
                        refs.update(_MERGE.findall(joined))
                    previous = chunk[-256:]
        except KeyError:
            continue
        except (zipfile.BadZipFile, zlib.error, EOFError):
            raise InputError(f"Tệp {name} bị hỏng (trang «{sheet.get('name')}» không giải nén được).") from None
        merges[sheet.get("name")] = sorted(
            (int(r0) - 1, _column(c0), int(r1 or r0) - 1, _column(c1 or c0)) for c0, r0, c1, r1 in refs)
    return merges


def _column(letters: bytes) -> int:
    index = 0
    for letter in letters:
        index = index * 26 + letter - 64
    return index - 1


def _xls_merges(name: str, data: bytes) -> dict[str, list[tuple[int, int, int, int]]]:
    """Each sheet's merged ranges in a legacy .xls (small files: python-calamine reads them whole)."""
    merges = {}
    try:
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
        for index, sheet in enumerate(book.sheet_names):
            ranges = book.get_sheet_by_index(index).merged_cell_ranges or []
            merges[sheet] = sorted((r0, c0, r1, c1) for (r0, c0), (r1, c1) in ranges)
    except Exception as error:  # python-calamine raises its own error types for broken files
        raise InputError(f"Tệp {name} bị hỏng hoặc không đọc được như bảng tính Excel ({error}).") from None
    return merges


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
        rows.append(row)
    width = max(map(len, rows), default=0)
    columns = [pa.array([row[c] if c < len(row) else None for row in rows], pa.string()) for c in range(width)]
    return Sheet(os.path.splitext(os.path.basename(name))[0] or "CSV", _table(columns))
