"""Tables as files people open in Excel: every text cell stays text, never a formula."""
from __future__ import annotations

import io

import pandas as pd

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value):
    """Text that a spreadsheet would run as a formula gets a leading apostrophe (OWASP's advice)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def to_csv(frame: pd.DataFrame) -> bytes:
    """UTF-8 with BOM, so Excel reads the Vietnamese text right."""
    return frame.map(safe_text).to_csv(index=False).encode("utf-8-sig")


def write_sheet(sheet, frame: pd.DataFrame, number_formats: dict[str, str] | None = None) -> None:
    """Write a DataFrame to an openpyxl sheet: bold frozen header, text cells typed as text."""
    from openpyxl.styles import Alignment, Font

    number_formats = number_formats or {}
    sheet.append([str(c) for c in frame.columns])
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    for row in frame.itertuples(index=False):
        sheet.append([None if pd.isna(v) else (v.item() if hasattr(v, "item") else v) for v in row])
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # openpyxl would store "=..." as a formula
                if cell.value.startswith(_FORMULA_START):
                    cell.style = "Normal"
                    cell.quotePrefix = True
    for i, column in enumerate(frame.columns, start=1):
        letter = sheet.cell(row=1, column=i).column_letter
        width = max([len(str(column))] + [len(str(v)) for v in frame[column].head(200)]) + 2
        sheet.column_dimensions[letter].width = min(max(width, 8), 50)
        if column in number_formats:
            for cell in sheet[letter][1:]:
                cell.number_format = number_formats[column]
    sheet.freeze_panes = "A2"


def to_xlsx(frame: pd.DataFrame, sheet_name: str = "Bảng", number_formats: dict[str, str] | None = None) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    write_sheet(book.active, frame, number_formats)
    book.active.title = sheet_name[:31]
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
