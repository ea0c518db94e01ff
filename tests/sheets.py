"""Builders of real spreadsheets shaped like the one-stop system's exports, written by openpyxl."""
from __future__ import annotations

import io
import unicodedata

from openpyxl import Workbook

# Biểu 06 leaf columns (3)…(13) in order, and the extras after them
B06_COLUMNS = ["received", "received_online", "received_offline", "carried_over",
               "resolved", "resolved_early", "resolved_on_time", "resolved_late",
               "pending", "pending_not_due", "pending_overdue"]
EXTRA_HEADERS = {
    "fee_dossiers": "Tổng HS có nghĩa vụ tài chính",
    "paid_online": "Số HS đã TTTT",
    "fully_online": "Hồ sơ toàn trình",
    "digitised": "Số hồ sơ số hóa",
}


def plain(text: str) -> str:
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in text if not unicodedata.combining(c))


def counts(online: int, offline: int, carried: int = 0, early: int | None = None, late: int = 0,
           overdue: int = 0, pending: int | None = None, **extras) -> dict:
    """A consistent row of counts: everything received is resolved unless `pending` is given."""
    received = online + offline + carried
    pending = 0 if pending is None else pending
    resolved = received - pending
    early = resolved - late if early is None else early
    row = {"received": received, "received_online": online, "received_offline": offline, "carried_over": carried,
           "resolved": resolved, "resolved_early": early, "resolved_on_time": resolved - early - late,
           "resolved_late": late, "pending": pending, "pending_not_due": pending - overdue,
           "pending_overdue": overdue}
    row.update(extras)
    return row


def bieu06(sections: list[tuple[str, str, list[tuple[str, dict]]]], *, title_period="Tháng 3 năm 2024",
           no_diacritics=False, upper=False, total: dict | None | bool = True, as_text=(),
           blank_row_after: int | None = None, extras: tuple[str, ...] = (), sheet="Biểu 06",
           signature=True, subtotals: bool = False) -> bytes:
    """A Biểu 06 workbook: title rows, three merged header rows, the column-number row, section
    rows (roman numeral, name), unit rows, a total row and a signature block.

    sections: [(roman, section name, [(unit name, counts)])]. total=True writes the sum;
    a dict writes that instead; None or False writes none. as_text: unit names whose numbers
    are written as text with a dot as thousands separator ("1.234"). subtotals: each section row
    carries the sum of its units, as some systems write it.
    """
    def say(text: str) -> str:
        text = plain(text) if no_diacritics else text
        return text.upper() if upper else text

    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    width = 2 + len(B06_COLUMNS) + len(extras)
    ws.append([say("UBND HUYỆN MỸ TÚ")])
    ws.append([say("TÌNH HÌNH, KẾT QUẢ GIẢI QUYẾT TTHC TẠI CƠ QUAN, ĐƠN VỊ TRỰC TIẾP GIẢI QUYẾT TTHC")])
    ws.append([say(f"Kỳ báo cáo: {title_period}")])
    ws.append([])
    top = 5
    ws.append([say("STT"), say("Đơn vị / Lĩnh vực"), say("Số hồ sơ nhận giải quyết"), None, None, None,
               say("Số hồ sơ đã giải quyết"), None, None, None, say("Số hồ sơ đang giải quyết"), None, None,
               *[say(EXTRA_HEADERS[e]) for e in extras]])
    ws.append([None, None, say("Tổng số"), say("Trong đó"), None, None, say("Tổng số"), say("Trước hạn"),
               say("Đúng hạn"), say("Quá hạn"), say("Tổng số"), say("Trong hạn"), say("Quá hạn")])
    ws.append([None, None, None, say("Trực tuyến"), say("Trực tiếp, dịch vụ bưu chính"), say("Từ kỳ trước")])
    for rng in ["A5:A7", "B5:B7", "C5:F5", "G5:J5", "K5:M5", "C6:C7", "D6:F6", "G6:G7", "H6:H7", "I6:I7",
                "J6:J7", "K6:K7", "L6:L7", "M6:M7"]:
        ws.merge_cells(rng)
    for i, _ in enumerate(extras):
        col = ws.cell(row=top, column=14 + i).column_letter
        ws.merge_cells(f"{col}{top}:{col}{top + 2}")
    ws.append([f"({i})" for i in range(1, width + 1)])
    fields = B06_COLUMNS + list(extras)
    sums = dict.fromkeys(fields, 0)
    n = 0
    for roman, name, units in sections:
        group = [sum(v.get(f) or 0 for _, v in units) for f in fields] if subtotals else []
        ws.append([roman, say(name), *group])
        for unit, values in units:
            n += 1
            cells = [values.get(f) for f in fields]
            for f in fields:
                sums[f] += values[f] if isinstance(values.get(f), int) else 0
            if unit in as_text:
                cells = [None if v is None else f"{v:,}".replace(",", ".") for v in cells]
            ws.append([n, say(unit) if not unit.startswith("UBND") else unit, *cells])
            if blank_row_after == n:
                ws.append([])
    if total:
        values = sums if total is True else total
        ws.append([None, say("Tổng cộng"), *[values.get(f) for f in fields]])
    if signature:
        ws.append([])
        ws.append([None, None, None, None, None, None, None, None, None, say("Mỹ Tú, ngày 05 tháng 4 năm 2024")])
        ws.append([None, say("Người lập biểu"), None, None, None, None, None, None, None, say("Thủ trưởng đơn vị")])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def to_cp1258(text: str) -> bytes:
    """Vietnamese as Windows-1258 tools write it: base letters, tone marks as combining bytes."""
    tones = "\u0300\u0301\u0303\u0309\u0323"
    out = b""
    for ch in text:
        try:
            out += ch.encode("cp1258")
        except UnicodeEncodeError:
            parts = unicodedata.normalize("NFD", ch)
            base = unicodedata.normalize("NFC", "".join(m for m in parts if m not in tones))
            out += base.encode("cp1258") + "".join(m for m in parts if m in tones).encode("cp1258")
    return out


def flat_csv(header: list[str], rows: list[list], title: str | None = None, sep: str = ";") -> str:
    lines = [title] if title else []
    lines.append(sep.join(header))
    lines += [sep.join("" if v is None else str(v) for v in row) for row in rows]
    return "\r\n".join(lines) + "\r\n"


def docx_bytes() -> bytes:
    """A minimal Word document (a zip with word/document.xml), as a .docx renamed .xlsx is."""
    import zipfile
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def zip_bomb(size_mb: int = 300) -> bytes:
    """An .xlsx-shaped zip whose sheet unpacks to `size_mb` MB of zeros from a few hundred KB."""
    import zipfile
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as f:
            chunk = b"0" * (1024 * 1024)
            for _ in range(size_mb):
                f.write(chunk)
    return buffer.getvalue()


def bieu06_xls(units: list[tuple[str, dict]], title_period: str = "Tháng 3 năm 2024") -> bytes:
    """A legacy .xls Biểu 06 (xlwt) with merged two-row headers and the column-number row."""
    import xlwt
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("Bieu 06")
    sheet.write(0, 0, f"Kỳ báo cáo: {title_period}")
    sheet.write_merge(2, 3, 0, 0, "STT")
    sheet.write_merge(2, 3, 1, 1, "Tên đơn vị")
    sheet.write_merge(2, 2, 2, 5, "Số hồ sơ nhận giải quyết")
    sheet.write_merge(2, 2, 6, 9, "Số hồ sơ đã giải quyết")
    sheet.write_merge(2, 2, 10, 12, "Số hồ sơ đang giải quyết")
    for c, label in enumerate(["Tổng số", "Trực tuyến", "Trực tiếp, BCCI", "Kỳ trước chuyển qua", "Tổng số",
                               "Trước hạn", "Đúng hạn", "Quá hạn", "Tổng số", "Chưa đến hạn", "Quá hạn"], start=2):
        sheet.write(3, c, label)
    for c in range(13):
        sheet.write(4, c, f"({c + 1})")
    for i, (unit, values) in enumerate(units, start=1):
        sheet.write(4 + i, 0, i)
        sheet.write(4 + i, 1, unit)
        for c, f in enumerate(B06_COLUMNS, start=2):
            sheet.write(4 + i, c, values[f])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# -- Appendix 1 of a plan, typed in Excel the way an office types it ------------------------------------
MY_TU_TITLE = ["ỦY BAN NHÂN DÂN HUYỆN MỸ TÚ", "Phụ lục I", "CHỈ TIÊU",
               "Tỷ lệ hồ sơ trực tuyến các ngành, xã, thị trấn năm 2024",
               "(Kèm theo Kế hoạch số 64/KH-UBND ngày 05/4/2024 của UBND huyện Mỹ Tú về thực hiện Dịch vụ công "
               "trực tuyến năm 2024)"]
MY_TU_HEADINGS = ["Tỷ lệ hồ sơ TTHC (mức 3, mức 4) có phát sinh được thực hiện trực tuyến (%)",
                  "Tỷ lệ hồ sơ trực tuyến có phát sinh nghĩa vụ tài chính được thực hiện thu bằng hình thức không "
                  "dùng tiền mặt (%)"]
MY_TU_DEPARTMENTS = [
    ("Phòng Tài chính – Kế hoạch", "Trên 90"), ("Phòng Tài nguyên và Môi trường", "Trên 90"),
    ("Phòng Kinh tế và Hạ tầng", "Trên 90"), ("Phòng Nội vụ", "Trên 90"), ("Phòng Nông nghiệp và PTNT", "Trên 90"),
    ("Phòng Lao động, Thương binh và Xã hội", "Trên 90"), ("Phòng Giáo dục và Đào tạo", "Trên 90"),
    ("Phòng Tư pháp", "Trên 90"), ("Phòng Văn hoá và Thông tin", "Trên 90"),
    ("Văn phòng đăng ký đất đai", "Trên 80"), ("Thanh tra", "Trên 90")]
MY_TU_COMMUNES = ["Thị trấn Huỳnh Hữu Nghĩa", "Xã Hưng Phú", "Xã Long Hưng", "Xã Mỹ Hương", "Xã Mỹ Phước",
                  "Xã Mỹ Thuận", "Xã Mỹ Tú", "Xã Phú Mỹ", "Xã Thuận Hưng"]


def my_tu_sections(communes: bool = True) -> list:
    """The Appendix 1 of plan 64/KH-UBND (DOMAIN.md section 5) as rows under the header:
    (stt, name, online, cashless); the commune group lists its units when `communes`."""
    rows = [("", "Toàn huyện", "Trên 80%", "Trên 40%"), ("I", "Một cửa cấp huyện", None, None)]
    rows += [(f"{i}.", name, online, "Tối thiểu 40%") for i, (name, online) in enumerate(MY_TU_DEPARTMENTS, 1)]
    rows.append(("II", "Một cửa cấp xã", "Trên 90", "Tối thiểu 40%"))
    if communes:
        rows += [(i, name, None, None) for i, name in enumerate(MY_TU_COMMUNES, 1)]
    rows += [("III", "Công an huyện", "Trên 90", "Tối thiểu 40%"), (1, "Công an huyện", None, None)]
    return rows


def appendix(rows: list, title: list[str] | None = None, headings: list[str] | None = None,
             merged_header: str | None = None, percent_cells: bool = False) -> bytes:
    """An Appendix 1 sheet: title rows, a blank row, the header (under a merged heading when
    `merged_header`), then `rows` of (stt, name, *wordings). With `percent_cells`, a wording that is a
    bare percentage ("40%") is typed as Excel does it: the number 0.4 formatted as a percentage."""
    book = Workbook()
    sheet = book.active
    sheet.title = "PL1"
    for line in MY_TU_TITLE if title is None else title:
        sheet.append([line])
    sheet.append([])
    headings = MY_TU_HEADINGS if headings is None else headings
    if merged_header:
        sheet.append(["STT", "Đơn vị", merged_header] + [None] * (len(headings) - 1))
        top = sheet.max_row
        sheet.append([None, None, *headings])
        sheet.merge_cells(start_row=top, start_column=1, end_row=top + 1, end_column=1)
        sheet.merge_cells(start_row=top, start_column=2, end_row=top + 1, end_column=2)
        sheet.merge_cells(start_row=top, start_column=3, end_row=top, end_column=2 + len(headings))
    else:
        sheet.append(["STT", "Đơn vị", *headings])
    for row in rows:
        sheet.append(list(row))
        if percent_cells:
            for cell in sheet[sheet.max_row][2:]:
                if isinstance(cell.value, str) and cell.value.endswith("%") and cell.value[:-1].isdigit():
                    cell.value, cell.number_format = int(cell.value[:-1]) / 100, "0%"
    sheet.append([])
    sheet.append(["", "Người lập biểu"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def html_xls(rows: list[tuple[str | None, str, dict | None]], *, total: bool = True, title: str | None = None) -> bytes:
    """A one-stop system's "Xuất Excel" as it arrives: an HTML table saved under a .xls name, UTF-8
    with a byte order mark, Excel's Office namespaces and conditional comment, three header rows
    merged with rowspan/colspan, counts written "1.234", a "Tổng số" row and (by default) no title
    or period. rows: [(STT, name, counts or None for a row without numbers)]."""
    def cell(value) -> str:
        if value is None:
            return "<td></td>"
        text = f"{value:,}".replace(",", ".") if isinstance(value, int) else str(value)
        return f"<td>{text.replace('&', '&amp;').replace('<', '&lt;')}</td>"

    head = (
        '<tr><th rowspan="3">STT</th><th rowspan="3">Đơn vị</th><th colspan="4">Số hồ sơ nhận giải quyết</th>'
        '<th colspan="4">Số hồ sơ đã giải quyết</th><th colspan="3">Số hồ sơ đang giải quyết</th></tr>\r\n'
        '<tr><th rowspan="2">Tổng số</th><th colspan="3">Trong đó</th><th rowspan="2">Tổng số</th>'
        '<th rowspan="2">Trước hạn</th><th rowspan="2">Đúng hạn</th><th rowspan="2">Quá hạn</th>'
        '<th rowspan="2">Tổng số</th><th rowspan="2">Trong hạn</th><th rowspan="2">Quá hạn</th></tr>\r\n'
        '<tr><th>Trực tuyến</th><th>Trực tiếp, dịch vụ bưu chính</th><th>Từ kỳ trước</th></tr>\r\n'
        + "<tr>" + "".join(f"<td>({i})</td>" for i in range(1, 14)) + "</tr>\r\n")
    body, sums = [], dict.fromkeys(B06_COLUMNS, 0)
    for stt, name, values in rows:
        numbers = [None] * len(B06_COLUMNS) if values is None else [values[f] for f in B06_COLUMNS]
        if values is not None and isinstance(stt, int):
            for f in B06_COLUMNS:
                sums[f] += values[f]
        body.append("<tr>" + cell(stt) + cell(name) + "".join(cell(v) for v in numbers) + "</tr>")
    if total:
        body.append('<tr><td colspan="2"><b>Tổng số</b></td>' + "".join(cell(sums[f]) for f in B06_COLUMNS) + "</tr>")
    page = ('<html xmlns:o="urn:schemas-microsoft-com:office:office" xmlns:x="urn:schemas-microsoft-com:office:excel" '
            'xmlns="http://www.w3.org/TR/REC-html40"><head><meta http-equiv="Content-Type" '
            'content="application/vnd.ms-excel; charset=utf-8"/>'
            '<!--[if gte mso 9]><xml><x:ExcelWorkbook><x:ExcelWorksheets><x:ExcelWorksheet><x:Name>BaoCao</x:Name>'
            '</x:ExcelWorksheet></x:ExcelWorksheets></x:ExcelWorkbook></xml><![endif]--></head>\r\n<body>'
            + (f"<h3>{title}</h3>" if title else "")
            + '<table border="1" style="border-collapse:collapse">\r\n' + head + "\r\n".join(body)
            + "\r\n</table></body></html>")
    return b"\xef\xbb\xbf" + page.encode("utf-8")
