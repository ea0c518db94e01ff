"""Tables as files people open in Excel: every text cell stays text, never a formula."""
from __future__ import annotations

import io

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import Cell
from openpyxl.styles import Alignment, Font

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value):
    """Text that a spreadsheet would run as a formula gets a leading apostrophe (OWASP's advice)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def to_csv(frame: pd.DataFrame) -> bytes:
    """UTF-8 with BOM, so Excel reads the Vietnamese text right."""
    return frame.map(safe_text).to_csv(index=False).encode("utf-8-sig")


def write_sheet(sheet, frame: pd.DataFrame, number_formats: dict[str, str] | None = None, start_row: int = 1) -> None:
    """Write a DataFrame to an openpyxl sheet from `start_row`: bold frozen header, text cells typed
    as text (openpyxl would store "=..." as a formula), optional number formats by column."""
    number_formats = number_formats or {}
    bold, wrap = Font(bold=True), Alignment(wrap_text=True, vertical="center")
    formats = [number_formats.get(c) for c in frame.columns]
    for r, values in enumerate([list(frame.columns), *frame.itertuples(index=False)], start=start_row):
        for c, value in enumerate(values, start=1):
            if value is None or value is pd.NA or (isinstance(value, float) and value != value):
                continue
            cell: Cell = sheet.cell(row=r, column=c)
            cell.value = value.item() if hasattr(value, "item") else value
            if isinstance(cell.value, str):
                cell.data_type = "s"
                if cell.value.startswith(_FORMULA_START):
                    cell.quotePrefix = True
            if r == start_row:
                cell.font, cell.alignment = bold, wrap
            elif formats[c - 1]:
                cell.number_format = formats[c - 1]
    for i, column in enumerate(frame.columns, start=1):
        width = max([len(str(column))] + [len(str(v)) for v in frame[column].head(200)]) + 2
        sheet.column_dimensions[sheet.cell(row=start_row, column=i).column_letter].width = min(max(width, 8), 50)
    sheet.freeze_panes = sheet.cell(row=start_row + 1, column=1)
    # printed, a table is read across: A4 landscape, one page wide, its header on every page
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.orientation = "landscape"
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.print_title_rows = f"{start_row}:{start_row}"


def to_xlsx(frame: pd.DataFrame, sheet_name: str = "Bảng", number_formats: dict[str, str] | None = None) -> bytes:
    book = Workbook()
    write_sheet(book.active, frame, number_formats)
    book.active.title = sheet_name[:31]
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
