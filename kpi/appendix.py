"""The Appendix 1 ("Phụ lục 1") of a plan as offices type it in Excel, read and written.

Title rows (the year, the document and the area are read from them when present), a header row
whose KPI columns are told by the plan's own long wording, section rows (I, II, III …) that name a
group and may carry the group's targets, unit rows under them with their own targets or empty
cells (the group's apply), and a row "Toàn huyện" / "Toàn tỉnh" for the area's targets. A second
sheet «Cách tính» may give each KPI's definition (denominator variant)."""
from __future__ import annotations

import io
import re

import openpyxl
import pandas as pd
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter

from kpi import fmt, measures, text
from kpi.ingest import layout
from kpi.ingest.readers import InputError, Limits, check_size, check_zip
from kpi.plan import LEVELS, Plan, PlanError, default_name, same_name, target_rows

DEFINITIONS_SHEET = "Cách tính"
HELP_SHEET = "Hướng dẫn"
MAX_ROWS, MAX_COLUMNS = 3_000, 40  # an Appendix of a province lists about 150 units
_NAME = re.compile(r"\b(don vi|co quan|dia phuong|ten)\b")
_STT = re.compile(layout.STT)  # as the monthly reports write it
_NUMERAL = r"(?=[IVXL])L?X{0,3}(?:IX|IV|V?I{0,3})|[A-H]"  # I … XLIX, or a capital letter A … H
_ROMAN = re.compile(rf"^(?:{_NUMERAL})[.)]?$", re.IGNORECASE)
_LETTER = re.compile(r"^[a-h][.)]?$")  # "a", "b": items under a numbered row, not sections
_ROMAN_IN_NAME = re.compile(rf"^({_NUMERAL})[.)]\s+(.+)$")
_NUMBERED = re.compile(r"^\d{1,4}[.)]?\s+(.+)$")
_AREA_ROW = re.compile(r"^(toan|chung toan|chung cua|ca) (huyen|tinh|thanh pho|xa|phuong|thi tran|dac khu|thi xa|"
                       r"quan|dia ban)\b|^muc tieu chung\b|^(tong cong|tong so|tong|cong)\s*[:.]?$")
_IGNORED = re.compile(r"ghi chu|chu thich|don vi (chu tri|phoi hop)|thoi gian|can cu|^(stt|tt)$")
_FOOTER = re.compile(r"^[\s*•\-–(]*(ghi chu|luu y|nguoi lap|noi nhan|tm\.? |kt\.? |chu tich)|\bky ten\b")
_TOO_SMALL = re.compile(r"^(0([.,]\d+)?|1([.,]0+)?)$")  # 0,9 typed without "%": meant 90%?
_COLUMN_NUMBER = layout.COLUMN_NUMBER
_AREA = re.compile(r"(?:của|thuộc)\s+(?:UBND|Ủy ban nhân dân|Uỷ ban nhân dân)\s+((?:tỉnh|thành phố|huyện|quận|thị xã|"
                   r"xã|phường|thị trấn|đặc khu)\s+.+?)\s*(?:\bvề\b|\bv/v\b|\bban hành\b|[,;()]|$)", re.IGNORECASE)
_DOCUMENT = re.compile(r"(?:kế hoạch|quyết định|chương trình)\s+(?:số\s*)?:?\s*(\d+\s*/\s*[A-ZĐ0-9][A-ZĐ0-9\-]*)",
                       re.IGNORECASE)
_FIELDS = {"ten ke hoach": "name", "dia ban": "area", "so van ban": "document"}  # "Tên kế hoạch: …" lines


def read(file_name: str, data: bytes, *, year: int | None = None, area: str | None = None) -> Plan:
    """An Appendix typed in Excel -> Plan. `year` and `area` stand in for what the title does not say."""
    limits = Limits()
    try:
        check_size(file_name, data, limits)
        check_zip(file_name, data, limits)
        book = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    except InputError as error:
        raise PlanError(str(error)) from None
    except Exception as error:  # openpyxl raises many kinds for a broken file
        raise PlanError(f"Tệp {file_name} không đọc được như bảng tính Excel ({type(error).__name__}).") from None
    sheets = [s for s in book.worksheets if text.plain(s.title) not in (text.plain(DEFINITIONS_SHEET),
                                                                           text.plain(HELP_SHEET))]
    first_error = None
    for sheet in sheets:
        try:
            plan = _read_sheet(file_name, sheet, year, area)
            break
        except _NoTable as error:  # another sheet may hold the Appendix; any other mistake is said at once
            first_error = first_error or error
    else:
        raise first_error or PlanError(f"Tệp {file_name} không có trang nào.")
    if DEFINITIONS_SHEET in book.sheetnames:
        plan.definitions = _definitions(file_name, book[DEFINITIONS_SHEET])
    return plan


class _NoTable(PlanError):
    """A sheet without the Appendix's table."""


def _cell_text(cell) -> str | None:
    """A cell as the sheet shows it: 0.4 formatted as a percentage is "40%", 90 is "90"."""
    value = cell.value
    if value is None or isinstance(value, bool):
        return None if value is None else str(value)
    if isinstance(value, (int, float)):
        percent = "%" in (cell.number_format or "")
        number = round(float(value) * (100 if percent else 1), 3)
        shown = str(int(number)) if number == int(number) else f"{number:g}".replace(".", ",")
        return shown + ("%" if percent else "")
    shown = " ".join(str(value).split())
    return text.nfc(shown) or None


def _grid(sheet) -> list[list[str | None]]:
    """The sheet's texts (a merged range's value is in its top-left cell only)."""
    if sheet.max_row > MAX_ROWS or sheet.max_column > MAX_COLUMNS:
        raise PlanError(f"Trang «{sheet.title}» có {fmt.number(sheet.max_row)} dòng × {sheet.max_column} cột, quá "
                        f"lớn cho một Phụ lục (tối đa {fmt.number(MAX_ROWS)} dòng × {MAX_COLUMNS} cột).")
    return [[_cell_text(c) for c in row] for row in sheet.iter_rows(max_row=sheet.max_row, max_col=sheet.max_column)]


def _find_header(grid, merges) -> tuple[int, int, int]:
    """(header row, rows it spans, name column): the first row naming the units' column above KPI columns."""
    for r, row in enumerate(grid[:40]):
        names = [c for c, v in enumerate(row) if v and _NAME.search(text.plain(v)) and not measures.from_heading(v)]
        if not names:
            continue
        for span in (1, 2):
            headings = _headings(grid, merges, r, span)
            if any(measures.from_heading(h) for c, h in headings.items() if c != names[0]):
                return r, span, names[0]
    raise PlanError("không thấy dòng tiêu đề có cột «Đơn vị» và cột chỉ tiêu (ví dụ «Tỷ lệ hồ sơ … trực tuyến (%)»)")


def _headings(grid, merges, row: int, span: int) -> dict[int, str]:
    """Column -> the words of the header rows above it, a merged heading ("Chỉ tiêu năm 2026" over
    several columns) repeated over each column it spans."""
    rows = [list(r) for r in grid[row:row + span]]
    for r0, c0, r1, c1 in merges:
        for i, r in enumerate(range(row, row + span)):
            if r0 <= r <= r1 and r0 < len(grid):
                for c in range(c0, min(c1 + 1, len(rows[i]))):
                    rows[i][c] = grid[r0][c0] if c0 < len(grid[r0]) else None
    out = {}
    for c in range(max(len(r) for r in rows)):
        words = list(dict.fromkeys(r[c] for r in rows if c < len(r) and r[c]))
        if words:
            out[c] = " ".join(words)
    return out


def _read_sheet(file_name: str, sheet, year: int | None, area: str | None) -> Plan:
    where = f"Tệp {file_name}, trang «{sheet.title}»"
    grid = _grid(sheet)
    merges = [(m.min_row - 1, m.min_col - 1, m.max_row - 1, m.max_col - 1) for m in sheet.merged_cells.ranges]
    try:
        header, span, name_col = _find_header(grid, merges)
    except PlanError as error:
        raise _NoTable(f"{where}: {error}.") from None
    columns, stt_col = {}, None
    for c, heading in _headings(grid, merges, header, span).items():
        typed = max((r for r in range(header, header + span) if c < len(grid[r]) and grid[r][c]), default=header)
        cell = f"{where}, dòng {typed + 1}, cột {get_column_letter(c + 1)} («{heading}»)"
        words = text.plain(heading)
        if c == name_col:
            continue
        if _STT.match(words) and c < name_col:
            stt_col = c
            continue
        kpi = measures.from_heading(heading)
        if kpi is None:
            if _IGNORED.search(words):
                continue
            known = "; ".join(f"{k.label}" for k in measures.CATALOGUE)
            raise PlanError(f"{cell}: không nhận ra chỉ tiêu của cột này. Các chỉ tiêu đã biết: {known}.")
        if kpi.key in columns.values():
            raise PlanError(f"{cell}: chỉ tiêu «{kpi.label}» có hai cột.")
        columns[c] = kpi.key
    title = [v for row in grid[:header] for v in row if v]
    found = _title(title)
    year = found.get("year") or year
    if not year:
        raise PlanError(f"{where}: tiêu đề không ghi năm của kế hoạch («… năm 2026»); hãy chỉ rõ năm (--year).")
    area = found.get("area") or area
    if not area:
        raise PlanError(f"{where}: tiêu đề không ghi địa bàn («… của UBND tỉnh …»); hãy chỉ rõ địa bàn.")

    entries, units, groups, group, notes, seen = [], [], [], None, [], {}
    start = header + span
    if start < len(grid) and all(_COLUMN_NUMBER.match(v) for v in grid[start] if v):
        start += 1  # the row of column numbers (1) (2) (3)
    _fill_body(grid, merges, start, set(columns))
    read = [c for c in (stt_col, name_col, *columns) if c is not None]
    for r in range(start, len(grid)):
        row = grid[r] + [None] * (max(read) + 1 - len(grid[r]))
        if any(row[c] and _FOOTER.search(text.plain(row[c])) for c in read):
            break  # notes, the signature block
        name, stt = row[name_col], row[stt_col] if stt_col is not None else None
        stt = None if stt == name else stt  # STT and name typed in one merged cell: "II. Một cửa cấp xã"
        cells = {key: row[c] for c, key in columns.items() if row[c]}
        if not name:
            if cells:
                raise PlanError(f"{where}, dòng {r + 1}: có chỉ tiêu nhưng không có tên đơn vị hay nhóm.")
            continue
        at = f"{where}, dòng {r + 1}"
        if stt and _ROMAN.match(stt) and not _LETTER.match(stt) or not stt and (m := _ROMAN_IN_NAME.match(name)):
            group = name if stt else m.group(2).strip()
            groups.append(group)
            level, subject = "group", group
        elif not stt and _AREA_ROW.search(text.plain(name)):
            level, subject = "area", area
            if not _AREA_ROW.search(text.plain(name)).group(1):
                notes.append(f"Dòng {r + 1} «{name}»: đọc là chỉ tiêu chung của toàn địa bàn.")
        else:
            if not stt and (m := _NUMBERED.match(name)):
                name = m.group(1).strip()
            if group is None:
                group = "Các đơn vị"
                groups.append(group)
            if (same := same_name(name)) in seen:
                raise PlanError(f"{where}, dòng {seen[same]} và {r + 1}: đơn vị «{name}» được liệt kê hai lần.")
            seen[same] = r + 1
            units.append((name, group))
            level, subject = "unit", name
        for c, key in columns.items():
            if key in cells:
                place = f"{at}, cột {get_column_letter(c + 1)} («{measures.get(key).label}»)"
                if _TOO_SMALL.match(cells[key]):
                    raise PlanError(f"{place}: «{cells[key]}» là một tỷ lệ phần trăm quá nhỏ; nếu là "
                                    f"{fmt.number(float(cells[key].replace(',', '.')) * 100)}% hãy ghi "
                                    f"«{fmt.number(float(cells[key].replace(',', '.')) * 100)}%».")
                entries.append((key, level, subject, cells[key], place))
    if not groups:
        raise _NoTable(f"{where}: không có dòng đơn vị hay nhóm nào dưới dòng tiêu đề (dòng {header + 1}).")
    document = found.get("document")
    return Plan(year=int(year), name=found.get("name") or default_name(int(year), document), area=area,
                units=pd.DataFrame(units, columns=["unit", "group"]), targets=target_rows(entries), groups=groups,
                document=document, source=found.get("source"), notes=notes)


def _fill_body(grid, merges, start: int, kpi_columns: set[int]) -> None:
    """Merged cells below the header: a wording merged down a KPI column holds for each row it spans; a
    name merged across columns is read from its first cell, never spread into the KPI columns."""
    for r0, c0, r1, c1 in merges:
        if r1 < start or r0 >= len(grid) or c0 >= len(grid[r0]):
            continue
        value = grid[r0][c0]
        for r in range(max(r0, start), min(r1, len(grid) - 1) + 1):
            for c in range(c0, min(c1, len(grid[r]) - 1) + 1):
                if (r, c) != (r0, c0) and not (c in kpi_columns and c != c0):
                    grid[r][c] = value


def _title(lines: list[str]) -> dict:
    """What the title rows say: year, area, document, the "(Kèm theo …)" source, "Tên kế hoạch: …"."""
    found = {}
    for line in lines:
        key, _, value = line.partition(":")
        if text.plain(key) in _FIELDS:
            found[_FIELDS[text.plain(key)]] = None if text.plain(value) in ("", "chua co", "khong co", "-") else \
                value.strip()
        elif text.plain(line).startswith(("(kem theo", "kem theo")):
            found.setdefault("source", re.sub(r"^\(?\s*kèm theo\s*", "", line, flags=re.IGNORECASE).rstrip(") "))
    for line in lines:
        years = [int(m.group(2)) for m in re.finditer(r"(thang \d{1,2} )?nam (20\d\d)\b", text.plain(line))
                 if not m.group(1)]
        if years:
            found.setdefault("year", years[0])
        if (m := _AREA.search(line)) and "area" not in found:
            found["area"] = m.group(1)[:1].upper() + m.group(1)[1:]
        if (m := _DOCUMENT.search(line)) and "document" not in found:
            found["document"] = re.sub(r"\s+", "", m.group(1))
    return found


def _definitions(file_name: str, sheet) -> dict[str, str]:
    """The «Cách tính» sheet: a row per KPI with its key, or label, and its variant."""
    chosen = {}
    for r, row in enumerate(_grid(sheet)[1:], start=2):
        cells = [v for v in row if v]
        kpi = next((measures.KPIS[v] for v in cells if v in measures.KPIS), None) or next(
            (k for k in measures.CATALOGUE for v in cells if text.plain(v) == text.plain(k.label)), None)
        if kpi is None:
            continue
        variant = next((v for v in cells if v in kpi.variants), None) or next(
            (name for name, ratio in kpi.variants.items() for v in cells if text.plain(v) == text.plain(ratio.note)),
            None)
        if variant is None:
            raise PlanError(f"Tệp {file_name}, trang «{sheet.title}», dòng {r}: không rõ cách tính của «{kpi.label}»; "
                            f"ghi một trong: {', '.join(kpi.variants)}.")
        chosen[kpi.key] = variant
    return {k: v for k, v in chosen.items() if v != measures.KPIS[k].default_variant}


# -- writing ------------------------------------------------------------------------------------------
def area_row(area: str) -> str:
    """"Toàn huyện" for "Huyện Mỹ Tú", "Toàn tỉnh" for "Tỉnh Gia Lai", else "Toàn địa bàn"."""
    words = text.plain(area).split()
    for level in ("thanh pho", "thi xa", "thi tran", "dac khu", "huyen", "tinh", "xa", "phuong", "quan"):
        if " ".join(words[:len(level.split())]) == level:
            return "Toàn " + " ".join(area.split()[:len(level.split())]).lower()
    return "Toàn địa bàn"


def write(plan: Plan, blank_rows: int = 0) -> bytes:
    """The plan in the layout `read` reads back to the same plan; `blank_rows` empty unit rows per group
    make a template to fill in."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Phụ lục 1"
    keys = [k for k in measures.KPIS if k in set(plan.targets["kpi"])] or ["online", "cashless", "ontime",
                                                                              "digitised"]
    width = 2 + len(keys)
    title = ["PHỤ LỤC 1", f"CHỈ TIÊU DỊCH VỤ CÔNG TRỰC TUYẾN NĂM {plan.year}"]
    if plan.source:
        title.append(f"(Kèm theo {plan.source})")
    title += [f"Tên kế hoạch: {plan.name}", f"Địa bàn: {plan.area}"]
    title.append(f"Số văn bản: {plan.document or 'chưa có'}")
    for r, line in enumerate(title, start=1):
        sheet.cell(r, 1, line).font = Font(bold=r <= 2, italic=r > 2, size=13 if r <= 2 else 11)
        sheet.cell(r, 1).alignment = Alignment(horizontal="center")
        sheet.merge_cells(start_row=r, start_column=1, end_row=r, end_column=width)
    header = len(title) + 2
    thin = Side(style="thin", color="808080")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    wrap = Alignment(wrap_text=True, vertical="center")
    for c, heading in enumerate(["STT", "Đơn vị", *(measures.get(k).heading for k in keys)], start=1):
        cell = sheet.cell(header, c, heading)
        cell.font, cell.alignment, cell.border = Font(bold=True), Alignment(wrap_text=True, horizontal="center",
                                                                            vertical="center"), border
    grid = plan.target_grid()
    rows = [("", area_row(plan.area), grid.iloc[0], True)]
    for g, group in enumerate(plan.groups, start=1):
        rows.append((_roman(g), group, grid[(grid["level"] == "group") & (grid["subject"] == group)].iloc[0], True))
        members = grid[(grid["level"] == "unit") & (grid["group"] == group)]
        rows += [(str(i), r["subject"], r, False) for i, (_, r) in enumerate(members.iterrows(), start=1)]
        rows += [(str(len(members) + i), None, None, False) for i in range(1, blank_rows + 1)]
    for r, (stt, name, values, bold) in enumerate(rows, start=header + 1):
        cells = [stt, name, *(values[k] if values is not None and isinstance(values[k], str) else None
                              for k in keys)]
        for c, value in enumerate(cells, start=1):
            cell = sheet.cell(r, c, value)
            cell.data_type = "s" if isinstance(value, str) else cell.data_type  # never a formula
            cell.font, cell.alignment, cell.border = Font(bold=bold), wrap, border
    sheet.column_dimensions["A"].width = 6
    sheet.column_dimensions["B"].width = 42
    for c in range(3, width + 1):
        sheet.column_dimensions[get_column_letter(c)].width = 24
    sheet.row_dimensions[header].height = 90
    sheet.freeze_panes = sheet.cell(header + 1, 3)
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_title_rows = f"{header}:{header}"

    defined = book.create_sheet(DEFINITIONS_SHEET)
    defined.append(["Chỉ tiêu", "Mã chỉ tiêu", "Cách tính", "Tỷ lệ = tử số / mẫu số"])
    for kpi in measures.CATALOGUE:
        variant = plan.definitions.get(kpi.key, kpi.default_variant)
        defined.append([kpi.label, kpi.key, variant, kpi.variants[variant].note])
    for c, w in zip("ABCD", (40, 14, 12, 90)):
        defined.column_dimensions[c].width = w
    for cell in defined[1]:
        cell.font = Font(bold=True)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _roman(n: int) -> str:
    values = [(10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")]
    out = ""
    for value, letters in values:
        while n >= value:
            out, n = out + letters, n - value
    return out


def template(area: str, year: int, level: str, units: pd.DataFrame | None = None) -> bytes:
    """An Appendix to fill in: the area's units when it has some, else its usual groups with empty rows."""
    usual = {"province": ["Sở, ban, ngành", "Xã, phường, đặc khu"], "district": ["Một cửa cấp huyện", "Một cửa cấp xã"],
             "commune": ["Bộ phận Một cửa"]}
    if units is not None and len(units):
        roster, groups = units[["unit", "group"]], list(dict.fromkeys(units["group"]))
    else:
        roster, groups = pd.DataFrame(columns=["unit", "group"]), usual.get(level, usual["province"])
    empty = Plan(year=year, name=default_name(year), area=area, units=roster, groups=groups,
                 targets=target_rows([]))
    data = write(empty, blank_rows=0 if len(roster) else 5)
    book = openpyxl.load_workbook(io.BytesIO(data))
    guide = book.create_sheet(HELP_SHEET)
    for line in (
        "Cách điền Phụ lục 1 để nhập vào dvc-kpi",
        "1. Mỗi nhóm đơn vị là một dòng có số La Mã (I, II, III …) ở cột STT; chỉ tiêu ghi ở dòng nhóm áp dụng cho "
        "mọi đơn vị của nhóm không có chỉ tiêu riêng.",
        "2. Mỗi đơn vị là một dòng có số thứ tự (1, 2, 3 …) dưới nhóm của nó; ô để trống thì dùng chỉ tiêu của nhóm.",
        f"3. Dòng «{area_row(area)}» ghi chỉ tiêu chung của toàn địa bàn.",
        "4. Ghi chỉ tiêu đúng lời văn bản: «Trên 90», «Tối thiểu 40%», «Từ 98% trở lên», «Đạt 100%», «>= 98».",
        "5. Thêm cột cho chỉ tiêu khác bằng tên dài như trong kế hoạch, ví dụ «Tỷ lệ hồ sơ … toàn trình (%)».",
        f"6. Trang «{DEFINITIONS_SHEET}» ghi cách tính (mẫu số) của từng chỉ tiêu; có thể để nguyên.",
        f"Cấp địa bàn: {LEVELS.get(level, level)}.",
    ):
        guide.append([line])
    guide.column_dimensions["A"].width = 120
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
