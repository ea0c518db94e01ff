"""Reading uploaded bytes into sheets of cell texts: .xlsx and .xls with fastexcel (calamine,
handing over Arrow columns: a sheet of a million cells never becomes a million Python objects),
.csv in UTF-8 or the Windows code pages older tools write, and the HTML table that one-stop
systems' "Xuất Excel" saves under a .xls name (lxml). The file's own bytes, not its name,
say what it is; a file that is too big, or a zip that would unpack into far more than it
weighs, is refused before it is parsed."""
from __future__ import annotations

import csv
import io
import logging
import os
import posixpath
import re
import zipfile
import zlib
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import fastexcel
import pyarrow as pa
import pyarrow.compute as pc
import python_calamine
from defusedxml import ElementTree
from lxml import etree
from lxml import html as lxml_html

from kpi.fmt import number
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
    max_sheets: int = 50
    max_cells: int = 10_000_000  # rows × columns of one sheet: a 100.000-row report has 1,5 million
    max_text: int = 2_000  # characters in one cell: a unit's name is a few dozen
    max_text_bytes: int = 64 * 1048576  # all the text of one sheet, as it travels back from the parsing process


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


XLSX, XLS, CSV, HTML = "xlsx", "xls", "csv", "html"
_ZIP, _OLE = b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# markup at the start (after a byte order mark and blanks) and a table soon after: an HTML "xls"
_HTML_START = re.compile(rb"^(?:\xef\xbb\xbf)?\s*<[!?a-z]", re.IGNORECASE)  # markup from its first character
_XML_SPREADSHEET = b"urn:schemas-microsoft-com:office:spreadsheet"  # Excel 2003's XML, not a web page


def column_letter(col: int) -> str:
    """Excel's letters of a 0-based column: 0 -> A, 199 -> GR."""
    from openpyxl.utils import get_column_letter  # openpyxl loads when a message names a column, not with the app

    return get_column_letter(col + 1)


def kind_of(name: str, data: bytes) -> str:
    if not data:
        raise InputError(f"Tệp {name} rỗng (0 byte).")
    if data.startswith(_ZIP):
        return XLSX
    if data.startswith(_OLE):
        return XLS
    if b"\x00" in data[:4096]:
        raise InputError(f"Tệp {name} không phải bảng tính (.xlsx, .xls) hay tệp văn bản .csv.")
    if _HTML_START.match(data[:1024]):
        if _XML_SPREADSHEET in data[:4096] and b"<Workbook" in data[:4096]:
            raise InputError(f"Tệp {name} là bảng tính XML của Excel 2003: hãy mở tệp bằng Excel, lưu thành .xlsx "
                             "(Excel Workbook) rồi tải lên.")
        if re.search(rb"<table\b", data, re.IGNORECASE) is None:
            raise InputError(f"Tệp {name} là trang web (HTML) nhưng không có bảng số liệu nào.")
        return HTML
    return CSV


def read(name: str, data: bytes, limits: Limits | None = None, *, alongside: bool = False) -> list[Sheet]:
    """Every sheet of the file. `alongside`: an .xlsx's cells are parsed while its XML is scanned (the machine
    has two cores), not after; only in a process of its own (kpi.ingest.isolation), since a far cell can then
    make the parser give up before the scan refuses it."""
    limits = limits or Limits()
    check_size(name, data, limits)
    kind = kind_of(name, data)
    if kind == CSV:
        return [_read_csv(name, data, limits)]
    if kind == HTML:
        sheets = _read_html(name, data, limits)
        for sheet in sheets:
            _check_text(name, sheet, limits)
        return sheets
    if kind == XLSX:  # the sheets' XML looked through before any grid is built, or while it is
        archive = check_zip(name, data, limits)
        if alongside:
            parsing = ThreadPoolExecutor(max_workers=1)  # the parser lets go of the GIL
            try:
                cells = parsing.submit(_read_cells, name, data, limits)
                merged = _scan_xlsx(name, archive, limits)
                sheets = cells.result()
            finally:
                parsing.shutdown(wait=False)  # a refused file's parse is not waited for
        else:
            merged = _scan_xlsx(name, archive, limits)
            sheets = _read_cells(name, data, limits)
    else:
        sheets = _read_cells(name, data, limits)
        merged = _xls_merges(name, data)
    for sheet in sheets:
        sheet.merged = merged.get(sheet.name, [])
        _check_text(name, sheet, limits)
    return sheets


def scan(name: str, data: bytes, limits: Limits | None = None) -> None:
    """An .xlsx's zip and XML looked through as `read` does, without parsing its cells: InputError when they
    are refused."""
    limits = limits or Limits()
    _scan_xlsx(name, check_zip(name, data, limits), limits)


def _check_text(name: str, sheet: Sheet, limits: Limits) -> None:
    total = sum(pc.sum(pc.binary_length(column)).as_py() or 0 for column in sheet.cells.columns)
    if total > limits.max_text_bytes:  # a short text repeated in every cell: small file, huge sheet
        raise InputError(f"Tệp {name}, trang «{sheet.name}»: {number(total // 1048576)} MB chữ, vượt giới hạn "
                         f"{number(limits.max_text_bytes // 1048576)} MB một trang.")
    for index, column in enumerate(sheet.cells.columns):
        lengths = pc.utf8_length(column)
        longest = pc.max(lengths).as_py()
        if longest and longest > limits.max_text:
            row = pc.index(lengths, longest).as_py()
            raise InputError(f"Tệp {name}, trang «{sheet.name}», ô {column_letter(index)}{row + 1}: "
                             f"{number(longest)} ký tự, vượt giới hạn {number(limits.max_text)} ký tự một ô.")


def _read_cells(name: str, data: bytes, limits: Limits) -> list[Sheet]:
    try:
        book = fastexcel.read_excel(data)
        if len(book.sheet_names) > limits.max_sheets:
            raise InputError(f"Tệp {name} có {len(book.sheet_names)} trang, vượt giới hạn {limits.max_sheets} trang.")
        sheets = []
        for sheet_name in book.sheet_names:
            loaded = book.load_sheet(sheet_name, header_row=None, skip_rows=0, dtypes="string")
            if loaded.total_height * loaded.width > limits.max_cells:
                raise InputError(f"Tệp {name}, trang «{sheet_name}»: {number(loaded.total_height)} dòng × "
                                 f"{loaded.width} cột, vượt giới hạn {number(limits.max_cells)} ô một trang.")
            if loaded.total_height > limits.max_rows or loaded.width > limits.max_columns:
                raise InputError(f"Tệp {name}, trang «{sheet_name}»: {loaded.total_height} dòng × {loaded.width} "
                                 f"cột, vượt giới hạn {limits.max_rows} dòng × {limits.max_columns} cột.")
            columns = loaded.available_columns()
            first = columns[0].absolute_index if columns else 0  # the range starts at its first filled column
            cells = [pa.nulls(loaded.height, pa.string())] * first + list(loaded.to_arrow().columns)
            sheets.append(Sheet(sheet_name, _table(cells)))
    except fastexcel.FastExcelError as error:  # the parser's own words go to the log, not to the user
        logging.getLogger("dvc-kpi").warning("%s: %s", name, str(error).splitlines()[0])
        raise InputError(f"Tệp {name} bị hỏng hoặc không đọc được như bảng tính Excel (một ô hoặc một phần của tệp "
                         "không đúng định dạng).") from None
    return sheets


def _table(columns: list[pa.Array]) -> pa.Table:
    """Columns of cell texts, NFC and trimmed, with empty text as null."""
    clean = []
    for column in columns:
        text = pc.utf8_trim_whitespace(column.cast(pa.string()))
        text = only_where(text, pc.invert(pc.string_is_ascii(text)), lambda t: pc.utf8_normalize(t, "NFC"))
        empty = pc.equal(pc.binary_length(text), 0)  # a length, not a string, compared: a tenth of the time
        clean.append(pc.if_else(empty, pa.scalar(None, pa.string()), text) if pc.any(empty).as_py() else text)
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
    if len(entries) > limits.max_entries:
        raise InputError(f"Tệp {name} có {len(entries)} thành phần nén, quá nhiều cho một bảng tính.")
    twice = [entry for entry, times in Counter(e.filename for e in entries).items() if times > 1]
    if twice:
        raise InputError(f"Tệp {name} bị hỏng: thành phần {twice[0]} có hai bản trong tệp nén (không rõ bản nào đúng).")
    names = {e.filename for e in entries}
    if "xl/workbook.xml" not in names:
        what = "tài liệu Word" if "word/document.xml" in names else "tệp nén khác"
        raise InputError(f"Tệp {name} không phải bảng tính Excel mà là {what}.")
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
# Cells beyond the default limits (row 300.000, column GR = 200), found by a search that never matches in
# a file within them; the limits themselves are checked again once the sheet is read.
_FAR = re.compile(rb'r="((?:[A-Z]{3}|[H-Z][A-Z]|G[S-Z])[A-Z]*\d+|[A-Z]{0,2}(?:[3-9]\d{5}|\d{7,}))"')
# references written otherwise (single quotes, spaces, lower case) never come from Excel: looked for
# quickly, and when present every reference is read the slow way
_ODD_REF = re.compile(rb"r='|r =|r= |r=\"[a-z]")
_ANY_FAR = re.compile(rb"""\br\s*=\s*["']((?:[A-Z]{3}|[H-Z][A-Z]|G[S-Z])[A-Z]*\d+|[A-Z]{0,2}(?:[3-9]\d{5}|\d{7,}))["']""",
                      re.IGNORECASE)
_CELL_REF = re.compile(rb"""\br\s*=\s*["']([A-Za-z]+\d+)["']""")
_FORMULA = re.compile(rb"<(?:\w+:)?f[\s/>]")
_VALUE = re.compile(rb"<(?:\w+:)?v(?:\s[^>]*)?>[^<]")  # a <v> with something in it
_CELL_TAG = re.compile(rb"<(?:\w+:)?c[\s>]")
_TAG = re.compile(rb"<(?:\w+:)?(row|c)\b")
_CELL_END = re.compile(rb"</(?:\w+:)?c>")
# anything the lines below look at closely: a far cell, an odd reference, a formula, a merged range (RE2)
_SUSPECT = "|".join(p.pattern.decode() for p in (_FAR, _ODD_REF, _FORMULA)) + "|mergeCell"


def _scan_xlsx(name: str, archive: zipfile.ZipFile, limits: Limits) -> dict[str, list[tuple[int, int, int, int]]]:
    """Each sheet's merged ranges, and its real extent, read from its XML before or while the cells are parsed:
    a far cell or a formula without its value is refused here (the <dimension> a file claims is not
    trusted, nor needed: the parser sizes the sheet by its cells). Markup such as
    "<mergeCell" never occurs in cell text (XML escapes "<"), so a sheet of 60 MB is searched, not parsed."""
    def local(tag: str) -> str:
        return tag.rsplit("}", 1)[-1]

    try:
        book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    except (KeyError, ElementTree.ParseError):  # what Excel writes always reads: never skip the checks
        raise InputError(f"Tệp {name} bị hỏng: phần mô tả bảng tính (xl/workbook.xml) không đọc được.") from None
    except ValueError:  # defusedxml: a DOCTYPE, entities or external references
        raise InputError(f"Tệp {name} bị từ chối: phần mô tả bảng tính chứa khai báo DTD hoặc thực thể XML, "
                         "điều Excel không bao giờ ghi.") from None
    targets = {r.get("Id"): r.get("Target", "") for r in rels}
    sheets = [e for e in book.iter() if local(e.tag) == "sheet"]
    if len(sheets) > limits.max_sheets:
        raise InputError(f"Tệp {name} có {len(sheets)} trang, vượt giới hạn {limits.max_sheets} trang.")
    merges = {}
    for sheet in sheets:
        title = sheet.get("name")
        rid = next((v for k, v in sheet.attrib.items() if local(k) == "id"), None)
        target = targets.get(rid, "")
        part = target.lstrip("/") if target.startswith("/") else posixpath.normpath(f"xl/{target}")
        refs, previous = set(), b""
        try:
            with archive.open(part) as stream:
                while chunk := stream.read(1 << 22):
                    joined = previous + chunk
                    if not pc.match_substring_regex(pa.array([joined], pa.binary()), _SUSPECT).to_pylist()[0]:
                        previous = chunk[-256:]
                        continue  # most of a sheet: plain cells, passed over by one linear-time search
                    pattern = _ANY_FAR if _ODD_REF.search(joined) else _FAR
                    for far in pattern.finditer(joined):  # a far cell: none in a file within the limits
                        letters, digits = re.match(rb"([A-Za-z]*)(\d+)", far.group(1)).groups()
                        tag = _TAG.match(joined, joined.rfind(b"<", max(0, far.start() - 400), far.start()))
                        element = tag.group(1) if tag else b"c"
                        _check_extent(name, title, element, letters.upper() or b"A", int(digits), limits)
                    if (b"<f" in joined or b":f" in joined) and (bare := _formula_without_value(joined)):
                        raise InputError(f"Tệp {name}, trang «{title}», ô {bare}: công thức chưa có giá trị đã tính "
                                         "(tệp do một chương trình ghi, chưa mở bằng Excel). Hãy mở tệp bằng Excel, "
                                         "lưu lại rồi tải lên.")
                    if b"mergeCell" in joined:
                        refs.update(_MERGE.findall(joined))
                    previous = chunk[-256:]
        except KeyError:
            continue
        except (zipfile.BadZipFile, zlib.error, EOFError):
            raise InputError(f"Tệp {name} bị hỏng (trang «{title}» không giải nén được).") from None
        merges[title] = sorted(
            (int(r0) - 1, _column(c0), int(r1 or r0) - 1, _column(c1 or c0)) for c0, r0, c1, r1 in refs)
    return merges


def _formula_without_value(xml: bytes) -> str | None:
    """The first cell holding a formula (<f>, with or without a namespace prefix) but not the value it last
    computed (<v>): read as empty, it would be a count silently lost ("" computed is a value: t="str").
    Formulas are few, so each is looked at within its own cell."""
    for formula in _FORMULA.finditer(xml):
        end = _CELL_END.search(xml, formula.end())
        if end is None:
            return None
        head = xml[max(0, formula.start() - 400):formula.start()]
        tags = list(_CELL_TAG.finditer(head))
        cell = head[tags[-1].start():] if tags else head
        if not _VALUE.search(xml, formula.end(), end.start()) and b't="str"' not in cell:
            ref = _CELL_REF.search(cell)
            return ref.group(1).decode() if ref else "?"
    return None


def _check_extent(name: str, sheet: str, element: bytes, letters: bytes, row: int, limits: Limits) -> None:
    column = _column(letters) + 1
    if row > limits.max_rows or column > limits.max_columns:
        where = f"có dòng {number(row)}" if element == b"row" else f"có ô {letters.decode()}{row}"
        raise InputError(f"Tệp {name}, trang «{sheet}» {where}, ngoài giới hạn {number(limits.max_rows)} dòng × "
                         f"{limits.max_columns} cột (đến cột {column_letter(limits.max_columns - 1)}); tệp này không phải "
                         "báo cáo tháng hoặc đã bị sửa hỏng.")


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
        logging.getLogger("dvc-kpi").warning("%s: %s", name, error)
        raise InputError(f"Tệp {name} bị hỏng hoặc không đọc được như bảng tính Excel .xls.") from None
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
    sample = "\n".join(text[:65536].splitlines()[:20])  # the sniffer's time grows with the square of its sample
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=",;\t").delimiter
    except csv.Error:
        delimiter = ";" if sample.count(";") > sample.count(",") else ","
    rows, cells = [], 0
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        for row in reader:
            if len(rows) >= limits.max_rows:
                raise InputError(f"Tệp {name} có hơn {number(limits.max_rows)} dòng, vượt giới hạn.")
            if len(row) > limits.max_columns:
                raise InputError(f"Tệp {name}, dòng {reader.line_num}: {len(row)} cột, vượt giới hạn "
                                 f"{limits.max_columns}.")
            cells += len(row)
            if cells > limits.max_cells:
                raise InputError(f"Tệp {name}: hơn {number(limits.max_cells)} ô, vượt giới hạn.")
            rows.append(row)
    except csv.Error as error:  # a stray quote, a field longer than the csv module takes
        why = ("một ô dài quá giới hạn" if "field larger" in str(error) else
               "dấu ngoặc kép không đóng hoặc ký tự lạ")
        raise InputError(f"Tệp {name}, dòng {reader.line_num}: không đọc được như tệp .csv ({why}).") from None
    width = max(map(len, rows), default=0)
    columns = [pa.array([row[c] if c < len(row) else None for row in rows], pa.string()) for c in range(width)]
    return Sheet(os.path.splitext(os.path.basename(name))[0] or "CSV", _table(columns))


_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([\w-]+)", re.IGNORECASE)
_BLOCKS = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "caption", "li", "br", "tr", "title"}


def _html_text(name: str, data: bytes) -> str:
    """The page's text: UTF-8 (the byte order mark real exports start with), else the charset its
    <meta> declares, else the Windows code pages."""
    declared = _CHARSET.search(data[:4096])
    if declared and not data.startswith(b"\xef\xbb\xbf"):
        try:
            return nfc(data.decode(declared.group(1).decode("ascii")))
        except (LookupError, UnicodeDecodeError):
            pass
    return decode(data)


def _read_html(name: str, data: bytes, limits: Limits) -> list[Sheet]:
    """Each table that holds no other table as a sheet ("Bảng 1", …; a layout table around the report
    is not one), rowspan and colspan spread like merged cells. The lines of text above a table (a
    heading, a title table, the period) become its first rows. The parser fetches nothing (no network,
    no external entities) and keeps no comments or scripts."""
    parser = lxml_html.HTMLParser(no_network=True, remove_comments=True, remove_pis=True, huge_tree=False,
                                  default_doctype=False)
    text = re.sub(r"^\s*<\?xml[^>]*>", "", _html_text(name, data))  # lxml takes no declaration in a str
    try:
        root = lxml_html.document_fromstring(text, parser=parser)
    except (etree.ParserError, ValueError):
        raise InputError(f"Tệp {name} là trang web (HTML) nhưng không đọc được.") from None
    etree.strip_elements(root, "script", "style", with_tail=False)
    for br in root.iter("br"):  # "Trực<br>tuyến" is two words
        br.tail = " " + (br.tail or "")
    for block in root.iter("p", "div", "li"):
        block.tail = " " + (block.tail or "")
    tables = [t for t in root.iter("table") if not t.xpath(".//table")]
    if len(tables) > limits.max_sheets:
        raise InputError(f"Tệp {name} có {len(tables)} bảng, vượt giới hạn {limits.max_sheets} bảng.")
    sheets, above = [], _lines_before(root, tables[0]) if tables else []
    for index, table in enumerate(tables):
        grid, merged = _html_grid(name, f"Bảng {index + 1}", table, limits, len(above))
        grid = [[line] for line in above] + grid
        width = max(map(len, grid), default=0)
        columns = [pa.array([row[c] if c < len(row) else None for row in grid], pa.string()) for c in range(width)]
        sheets.append(Sheet(f"Bảng {index + 1}", _table(columns), merged))
        # what this table said is the title of the next one (a heading table above the report)
        above = (above + [" ".join(c for c in row if c) for row in grid[len(above):] if any(row)])[-20:]
    return sheets


def _lines_before(root, table) -> list[str]:
    """The text above the first table, one line per block (at most the last 20 lines)."""
    lines, current = [], []
    for element in root.iter():
        if element is table:
            break
        if not isinstance(element.tag, str):
            continue
        if element.tag in _BLOCKS and current:
            lines.append(" ".join(current))
            current = []
        if element.text and element.text.strip() and element.tag not in ("title", "head", "table"):
            current.append(" ".join(element.text.split()))
        if element.tail and element.tail.strip():
            current.append(" ".join(element.tail.split()))
    if current:
        lines.append(" ".join(current))
    return lines[-20:]


def _span(cell, attribute: str, most: int) -> int:
    try:
        return min(max(int(str(cell.get(attribute, "1")).strip() or 1), 1), most)
    except ValueError:
        return 1


def _html_grid(name: str, sheet: str, table, limits: Limits, offset: int):
    """A table's rows as lists of cell texts, and its spanned cells as merged ranges (0-based,
    shifted down by `offset` title rows)."""
    rows = [r for r in table.iter("tr") if next(r.iterancestors("table")) is table]
    if len(rows) > limits.max_rows:
        raise InputError(f"Tệp {name}, «{sheet}»: {number(len(rows))} dòng, vượt giới hạn {number(limits.max_rows)} dòng.")
    grid: list[list[str | None]] = []
    taken: dict[tuple[int, int], bool] = {}
    merged, cells = [], 0
    for r, row in enumerate(rows):
        out: list[str | None] = []
        c = 0
        for cell in row:
            if cell.tag not in ("td", "th"):
                continue
            while taken.pop((r, c), False):
                out.append(None)
                c += 1
            text = " ".join(cell.text_content().split()) or None
            colspan = _span(cell, "colspan", limits.max_columns + 1)
            rowspan = _span(cell, "rowspan", len(rows) - r)
            if c + colspan > limits.max_columns:
                raise InputError(f"Tệp {name}, «{sheet}», dòng {r + 1 + offset}: hơn {limits.max_columns} cột, vượt "
                                 "giới hạn.")
            cells += colspan * rowspan
            if cells > limits.max_cells:
                raise InputError(f"Tệp {name}, «{sheet}»: hơn {number(limits.max_cells)} ô, vượt giới hạn.")
            out.extend([text] + [None] * (colspan - 1))
            if colspan > 1 or rowspan > 1:
                merged.append((r + offset, c, r + offset + rowspan - 1, c + colspan - 1))
                for below in range(r + 1, r + rowspan):
                    for across in range(c, c + colspan):
                        taken[(below, across)] = True
            c += colspan
        while taken.pop((r, c), False):
            out.append(None)
            c += 1
        grid.append(out)
    return grid, merged
