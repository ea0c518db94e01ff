"""Recognising the aggregate form of Circular 01/2020 (Biểu 06 / II.06a) and its variants:
where the header is, which column holds which count, which rows are units, sections, the total
and the signature block, and which month the title names."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from kpi.ingest.readers import InputError, Sheet
from kpi.text import plain, plain_all

# -- columns ----------------------------------------------------------------------------------
# Columns named by their own words, whatever group they stand under (checked first, in order).
EXTRAS = [
    ("paid_online", r"\btttt\b|thanh toan (truc tuyen|khong dung tien mat)|da thanh toan|thu phi truc tuyen"),
    ("apology_letters", r"xin loi"),
    ("fee_online", r"truc tuyen.*nghia vu tai chinh|nghia vu tai chinh.*truc tuyen"),
    ("fee_dossiers", r"nghia vu tai chinh|\bnvtc\b"),
    ("fully_online", r"toan trinh"),
    ("digitised", r"so hoa"),
    ("certification_electronic", r"chung thuc.*dien tu"),
    ("certification", r"chung thuc"),
    (None, r"cho bo sung|tra lai|\brut\b|hai long|\bty le\b|%|ghi chu|tam dung|\bhuy\b"),
]
# The three groups of counts, and their parts. A column's group is named in its header, or is the
# group of the column before it (a flat header: "Đã giải quyết", "Trước hạn", "Đúng hạn", ...).
GROUPS = [
    ("pending", r"\b(dang|chua) giai quyet\b|\bdang xu ly\b"),
    ("resolved", r"\bda giai quyet\b|\bgiai quyet xong\b|\bda xu ly\b|\bda tra( ket qua)?\b|^tra\b"),
    ("received", r"\bnhan giai quyet\b|\btiep nhan\b|\bso ho so nhan\b(?! giai quyet)|\bnhan moi\b"),
]
PARTS = {
    "received": [("carried_over", r"ky truoc|chuyen (qua|sang)|\bton\b"),
                 ("received_online", r"truc tuyen|qua mang|\bdvc"),
                 ("received_offline", r"truc tiep|buu chinh|\bbcci\b"),
                 ("received", r"tong")],
    "resolved": [("resolved_early", r"truoc (thoi )?han"),
                 ("resolved_on_time", r"dung (thoi )?han|trong han"),
                 ("resolved_late", r"qua (thoi )?han|tre han|cham"),
                 ("resolved", r"tong")],
    "pending": [("pending_not_due", r"trong han|chua (den|qua) han"),
                ("pending_overdue", r"qua (thoi )?han|tre han"),
                ("pending", r"tong")],
}
NAME = r"\b(don vi|co quan|linh vuc|ten)\b"
STT = r"^(stt|so tt|tt|so thu tu)\.?$"
_NOISE = re.compile(r"\b(trong do|so ho so|so hs|ho so|so)\b")

# fields (lĩnh vực) of administrative procedures, as a Biểu 06 by field lists them (plain text)
FIELD = re.compile(r"^(linh vuc\s+)?(dat dai|xay dung|ho tich|chung thuc|tu phap|dang ky kinh doanh|kinh doanh|"
                   r"thanh lap va hoat dong|giao thong|moi truong|tai nguyen|lao dong|nguoi co cong|viec lam|"
                   r"bao tro xa hoi|giao duc|y te|van hoa|the thao|du lich|nong nghiep|thuy loi|lam nghiep|"
                   r"thuy san|khieu nai|to cao|thi dua|khen thuong|ton giao|tin nguong|nuoi con nuoi|quoc tich|"
                   r"cong chung|luat su|thuong mai|cong thuong|dau tu|ke hoach|tai chinh|quy hoach|nha o|"
                   r"an toan thuc pham|phong chay|bao hiem|thong tin|truyen thong|hoa giai|noi vu|"
                   r"khoa hoc|dan toc|phat trien nong thon|ke toan|hanh chinh tu phap|chinh sach)\b")
# "Đơn vị: Phòng Tài nguyên và Môi trường", "Cơ quan báo cáo: UBND xã Mỹ Hương": the unit a title names
UNIT_IN_TITLE = re.compile(r"^(?:don vi|co quan|ten don vi|ten co quan)(?: bao cao)?\s*:\s*(.+)$")

# -- rows -------------------------------------------------------------------------------------
# "Tổng cộng", "Tổng số (toàn huyện)", "Cộng": but "Công an huyện" is a unit
TOTAL = re.compile(r"^(tong cong|tong so|tong chung)\b|^(tong|cong|toan (huyen|tinh|thanh pho))\s*[:.]?$")
SIGNATURE = re.compile(r"nguoi lap|lap bieu|thu truong|ky ten|chu tich|giam doc|xac nhan|"
                       r"ngay \d{1,2} thang|ngay \.+|\bkt\.|\btm\.")
ROMAN = re.compile(r"^(i|ii|iii|iv|v|vi|vii|viii|ix|x|xi|xii|[a-e])[.)]?$")
# a row's title that names a group of units, not a unit: "Các cơ quan chuyên môn", "UBND cấp xã", "Khối xã, phường"
GROUP_TITLE = re.compile(r"^(khoi|nhom|cac|co quan chuyen mon|(ubnd|uy ban nhan dan|don vi) (cap|cac|truc thuoc)|"
                         r"cap (xa|huyen|tinh)|so,? ban,? nganh)\b")
COLUMN_NUMBER = re.compile(r"^\(?(\d{1,2})\)?$")
_NUMBER = re.compile(r"^-?\d{1,3}([.,]\d{3})*$")


@dataclass
class Layout:
    sheet: Sheet
    header_rows: range  # 0-based rows of the header
    data_start: int  # first 0-based row after the header (and the column-number row)
    name_col: int
    stt_col: int | None
    columns: dict[int, str]  # 0-based column -> count field
    headers: dict[int, str]  # 0-based column -> the header's words, for messages
    ignored: list[str] = field(default_factory=list)  # headers of columns not read
    name_header: str = ""  # the name column's header, plain ("don vi / linh vuc")

    def name_cells(self) -> pa.Array:
        """The name column below the header (null where empty)."""
        rows = self.sheet.height - self.data_start
        if self.name_col >= self.sheet.width:
            return pa.nulls(rows, pa.string())
        names = self.sheet.cells.column(self.name_col).slice(self.data_start).combine_chunks()
        if self.stt_col is None:
            return names
        # "Tổng số" written across STT and name (an HTML colspan, a merged cell): the total row's name
        stt = self.sheet.cells.column(self.stt_col).slice(self.data_start).combine_chunks()
        nameless = np.flatnonzero(pc.and_(pc.is_null(names), pc.is_valid(stt)).to_numpy(zero_copy_only=False))
        said = pc.take(stt, nameless)
        total = nameless[pc.fill_null(pc.match_substring_regex(plain_all(said), TOTAL.pattern), False)
                         .to_numpy(zero_copy_only=False)]
        if not len(total):
            return names
        mask = np.zeros(len(names), bool)
        mask[total] = True
        return pc.if_else(pa.array(mask), stt, names)


def _text(value) -> str:
    return plain(value) if isinstance(value, str) else ""


def _classify(words: str, group: str) -> tuple[str | None, str, bool]:
    """(field or None, the group now in force, whether the words were understood)."""
    for name, pattern in EXTRAS:
        if re.search(pattern, words):
            return name, group, True
    for candidate, pattern in GROUPS:
        m = re.search(pattern, words)
        if m:
            group, words = candidate, (words[:m.start()] + " " + words[m.end():])
            break
    words = _NOISE.sub(" ", words).strip()
    for name, pattern in PARTS[group]:
        if re.search(pattern, words):
            return name, group, True
    if not words:  # a group's own column: its total
        return group, group, True
    return None, group, False


def _filled_header(sheet: Sheet, rows: range, width: int) -> list[list[str | None]]:
    """Header cells, each merged range filled with its top-left value."""
    grid = sheet.rows(rows.start, rows.stop)
    for r0, c0, r1, c1 in sheet.merged:
        if r0 in rows and c0 < width and (value := grid[r0 - rows.start][c0]) is not None:
            for r in range(max(r0, rows.start), min(r1, rows.stop - 1) + 1):
                for c in range(c0, min(c1, width - 1) + 1):
                    grid[r - rows.start][c] = value
    return grid


def _is_column_numbers(row: list) -> bool:
    numbers = [COLUMN_NUMBER.match(str(int(v)) if isinstance(v, float) and v.is_integer() else str(v).strip())
               for v in row if v is not None]
    if len(numbers) < 3 or not all(numbers):
        return False
    values = [int(m.group(1)) for m in numbers]
    return values == list(range(values[0], values[0] + len(values)))


def _looks_like_header(row: list) -> bool:
    cells = [_text(v) for v in row]
    has_name = any(re.search(NAME, c) for c in cells[:4])
    known = sum(1 for c in cells if c and _classify(c, "received")[2] and not re.search(NAME, c))
    return has_name and known >= 2


def recognise(sheet: Sheet, file_name: str) -> Layout:
    """Find the header and map its columns to counts; InputError when the sheet is not a report."""
    head = sheet.rows(0, 45)
    start = next((i for i, row in enumerate(head[:40]) if _looks_like_header(row)), None)
    if start is None:
        raise InputError(f"Tệp {file_name}, trang «{sheet.name}»: không tìm thấy dòng tiêu đề có cột "
                         f"«Đơn vị» và các cột số hồ sơ (tiếp nhận, trực tuyến, đã giải quyết…).")
    width = sheet.width
    end = start + 1
    while end < min(start + 4, len(head)):
        row = head[end]
        if _is_column_numbers(row):
            break
        values = [v for v in row if v is not None]
        if not values or any(not isinstance(v, str) or _NUMBER.match(v) for v in values) or len(values) == 1:
            break  # an empty row, a row of numbers or a section row ("I", "Cơ quan chuyên môn") ends it
        if row[0] is not None and ROMAN.match(_text(row[0])):
            break
        end += 1
    data_start = end + 1 if end < len(head) and _is_column_numbers(head[end]) else end
    header_rows = range(start, end)
    grid = _filled_header(sheet, header_rows, width)

    columns, headers, ignored, seen = {}, {}, [], {}
    name_col = stt_col = None
    name_header = ""
    group = "received"
    for c in range(width):
        # the column's header from top to bottom, each level once, without "Trong đó"
        original = [str(v) for v in dict.fromkeys(row[c] for row in grid if row[c] is not None)
                    if plain(str(v)) != "trong do"]
        words = " ".join(plain(v) for v in original)
        original = " / ".join(original)
        if not words:
            continue
        if stt_col is None and re.match(STT, words):
            stt_col = c
            continue
        if name_col is None and re.search(NAME, words) and not _classify(words, group)[2]:
            name_col, name_header = c, words
            continue
        found, group, _ = _classify(words, group)
        if found is None or found in seen:
            ignored.append(original or words)
            continue
        seen[found] = c
        columns[c], headers[c] = found, original or words
    if name_col is None:
        name_col = 1 if stt_col == 0 else 0
    missing = [f for f in ("received_online",) if f not in seen]
    if missing or not ({"received", "received_offline"} & set(seen)):
        raise InputError(f"Tệp {file_name}, trang «{sheet.name}», dòng {start + 1}: không nhận ra cột "
                         f"«Trực tuyến» và cột «Tổng số» hoặc «Trực tiếp» của số hồ sơ nhận giải quyết.")
    return Layout(sheet, header_rows, data_start, name_col, stt_col, columns, headers, ignored, name_header)


# -- period -----------------------------------------------------------------------------------
_MONTH_YEAR = [
    re.compile(r"thang\s*(\d{1,2})\s*(?:nam|/|-|\.)\s*(\d{4})"),
]
# "Từ ngày 21/09/2025 đến ngày 20/10/2025", "từ 21/9 đến 20/10/2025", "15/02–14/03", "(21/09/2025 - 20/10/2025)"
_DAY = r"(\d{1,2})\s*/\s*(\d{1,2})(?:\s*/\s*(\d{4}))?"
_RANGE = re.compile(rf"(?:tu\s*(?:ngay)?\s*:?\s*)?{_DAY}\s*(?:den|-|–|—|~)\s*(?:ngay)?\s*:?\s*{_DAY}")
_YEAR = re.compile(r"\b(?:nam\s*)?(20\d\d)\b")
_MULTI = re.compile(r"\bquy\s*(i{1,3}|iv|\d)\b|\b(6|9|sau|chin) thang\b|\bnam \d{4}\s*$")
LONGEST_WINDOW = 31  # days: a reporting month, whichever day it starts on


@dataclass(frozen=True)
class Title:
    """What a report's title says about its period: the month (of the window's end date) and the
    window itself when the title gives dates."""

    period: tuple[int, int] | None = None
    window: tuple[date, date] | None = None
    stated: tuple[int, int] | None = None  # a month the title also states ("Tháng 10 năm 2025"), when it differs

    @property
    def days(self) -> int | None:
        return None if self.window is None else (self.window[1] - self.window[0]).days + 1


def _window(m: re.Match, line: str, lines: list[str], file_name: str, written: str) -> Title | None:
    d1, m1, y1, d2, m2, y2 = m.groups()
    if y2 is None and y1 is not None:  # "21/12/2024 đến 20/01": the end is in the start's year or the next
        y2 = str(int(y1) + 1 if (int(m2), int(d2)) < (int(m1), int(d1)) else int(y1))
    year = y2 or next((y.group(1) for text in (line, *lines) if (y := _YEAR.search(text))), None)
    if year is None:
        return None
    y2 = int(year)
    # 21/12–20/01/2025 starts the year before
    y1 = int(y1) if y1 else (y2 - 1 if (int(m1), int(d1)) > (int(m2), int(d2)) else y2)
    try:
        first, last = date(y1, int(m1), int(d1)), date(y2, int(m2), int(d2))
    except ValueError:  # "31/02": a window said wrongly
        if line.startswith("tu ngay") or "ky bao cao" in line:
            raise InputError(f"Tệp {file_name}: ngày trong tiêu đề không hợp lệ: «{written}».") from None
        return None
    if last < first:
        raise InputError(f"Tệp {file_name}: kỳ báo cáo trong tiêu đề kết thúc ({last:%d/%m/%Y}) trước khi bắt đầu "
                         f"({first:%d/%m/%Y}): «{written}».")
    days = (last - first).days + 1
    if days > LONGEST_WINDOW:
        raise InputError(f"Tệp {file_name} là báo cáo từ {first:%d/%m/%Y} đến {last:%d/%m/%Y} ({days} ngày), nhiều "
                         f"hơn một tháng. Hãy tải báo cáo từng tháng (kỳ báo cáo tháng dài tối đa {LONGEST_WINDOW} "
                         "ngày) từ Hệ thống một cửa điện tử.")
    return Title((last.year, last.month), (first, last))


def _stated_month(lines: list[str]) -> tuple[int, int] | None:
    for line in lines:
        for pattern in _MONTH_YEAR:
            m = pattern.search(line)
            if m and 1 <= int(m.group(1)) <= 12:
                return int(m.group(2)), int(m.group(1))
    return None


def period_from_title(sheet: Sheet, before_row: int, file_name: str) -> Title:
    """The month the title names, and its reporting window when it gives one: a window is the month
    of its end date (a province whose month runs from the 21st to the 20th reports 21/09–20/10 as
    October). A title covering more than a month is refused."""
    written = [v for row in sheet.rows(0, before_row) for v in row if isinstance(v, str)]
    lines = [_text(v) for v in written]
    for line, original in zip(lines, written):
        for m in _RANGE.finditer(line):
            if (found := _window(m, line, lines, file_name, original)) is not None:
                stated = _stated_month(lines)
                return Title(found.period, found.window, stated if stated != found.period else None)
    if (stated := _stated_month(lines)) is not None:
        return Title(stated)
    for line, original in zip(lines, written):
        if "ky bao cao" in line or "bao cao" in line:
            m = _MULTI.search(line)
            if m:
                raise InputError(f"Tệp {file_name} là báo cáo nhiều hơn một tháng: «{original}». "
                                 f"Hãy tải báo cáo từng tháng từ Hệ thống một cửa điện tử.")
    return Title()
