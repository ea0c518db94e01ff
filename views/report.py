"""Báo cáo: the month's report as the office sends it to the leadership: the narrative, and the
Excel, PowerPoint, Word and PNG files."""
import io
import zipfile

import streamlit as st

from views import ui, widgets
from kpi import reports

st.title("Báo cáo")
ui.require_data()
report = ui.report()
widgets.caption(report.card)

st.subheader("Nội dung báo cáo")
for paragraph in reports.narrative(report):
    st.markdown(ui.plain(paragraph))


def charts_zip() -> bytes:
    """The report's charts as PNG files (drawn on the server by kaleido and the system's Chromium)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, figure in reports.figures(report).items():
            archive.writestr(f"{name}-{report.period.key}.png", reports.png(figure))
    return buffer.getvalue()


st.subheader("Tải về")
st.caption("Các tệp được tạo khi bấm tải. Biểu đồ trong PowerPoint là biểu đồ gốc, sửa được.")
files = [
    ("Excel (.xlsx)", lambda: reports.to_xlsx(report), "xlsx", ":material/table:"),
    ("PowerPoint (.pptx)", lambda: reports.to_pptx(report), "pptx", ":material/slideshow:"),
    ("Word (.docx)", lambda: reports.to_docx(report), "docx", ":material/description:"),
    ("Biểu đồ PNG (.zip)", charts_zip, "zip", ":material/image:"),
]
for column, (label, make, extension, icon) in zip(st.columns(len(files)), files):
    column.download_button(label, make, file_name=f"{report.name}.{extension}", icon=icon, key=f"file_{extension}",
                           on_click="ignore", width="stretch")
