"""Thiết lập: the area this database holds and how it starts. On an empty database this is the only
page: the area's name and level, then its plan (the Appendix 1 uploaded, a template to fill in, or a
sample). On sample data it sets up the committee's own area in its place."""
import pandas as pd
import streamlit as st

from views import ui
from kpi import appendix, demo, plan
from views.ui import DEMO_LABEL, StoreError

UPLOAD, TEMPLATE, SAMPLE, LATER = "upload", "template", "sample", "later"
STARTS = {UPLOAD: "Tải lên Phụ lục 1 của kế hoạch năm (.xlsx hoặc .toml)",
          TEMPLATE: "Bắt đầu từ mẫu Phụ lục 1: tải mẫu, điền trong Excel, rồi tải lên",
          SAMPLE: f"Dùng thử với {DEMO_LABEL.lower()}",
          LATER: "Chưa có kế hoạch: nhập số liệu trước, nhập kế hoạch sau"}
SAMPLES = {"district": "Huyện Mỹ Tú, kế hoạch năm 2024, số liệu 2023–2024",
           "province": f"{demo.PROVINCE} (tỉnh giả định), kế hoạch năm 2026, số liệu 01/2025–10/2026"}

door = ui.doorway()
known = ui.facts()
area = known["area"]
empty = not area["name"]
st.title("Thiết lập địa bàn" if empty else "Thiết lập")

if not empty:
    st.markdown(f"Cơ sở dữ liệu này giữ số liệu của **{ui.plain(area['name'])}**; cấp: "
                f"{plan.LEVELS.get(area['level'], 'chưa ghi').lower()}.")
    with st.expander("Sửa tên hoặc cấp của địa bàn"):
        name = st.text_input("Tên địa bàn", area["name"], key="area_rename").strip()
        levels = list(plan.LEVELS)
        level = st.radio("Cấp", levels, index=levels.index(area["level"]) if area["level"] in levels else 0,
                         format_func=plan.LEVELS.get, key="area_relevel", horizontal=True)
        if st.button("Lưu", key="area_save", disabled=not name):
            door.set_area(name, level)
            ui.written(f"Đã lưu: {name} ({plan.LEVELS[level]}).")
    if not known["sample"]:
        st.caption("Số liệu thật đã được nhập: để bắt đầu một địa bàn khác, hãy dùng một cơ sở dữ liệu khác "
                   "(biến KPI_DB hoặc python -m kpi --db TỆP init).")
        st.stop()
    st.subheader("Thiết lập địa bàn của mình")
    st.caption(f"Đang dùng {DEMO_LABEL.lower()}. Thiết lập địa bàn của mình sẽ xoá dữ liệu mẫu, danh sách đơn vị và kế "
               "hoạch mẫu.")

name = st.text_input("Tên địa bàn", placeholder="Ví dụ: Tỉnh Gia Lai, Xã Phù Mỹ", key="setup_area").strip()
levels = list(plan.LEVELS)
level = st.radio("Cấp", levels, format_func=plan.LEVELS.get, key="setup_level", horizontal=True)
start = st.radio("Bắt đầu", list(STARTS), format_func=STARTS.get, key="setup_start")

file, sample = None, None
if start in (UPLOAD, TEMPLATE):
    if start == TEMPLATE:
        year = st.number_input("Năm của kế hoạch", 2020, 2100, value=pd.Timestamp.today().year, step=1,
                               key="setup_year")
        st.download_button("Tải mẫu Phụ lục 1 (.xlsx)",
                           lambda: appendix.template(name or "Tên địa bàn", int(year), level),
                           file_name=f"mau-phu-luc-1-{int(year)}.xlsx", icon=":material/download:",
                           key="setup_template", on_click="ignore", disabled=not name)
    file = st.file_uploader("Phụ lục 1 đã điền", type=["xlsx", "toml"], key="setup_plan", max_upload_size=ui.UPLOAD_MB)
elif start == SAMPLE:
    sample = st.radio("Dữ liệu mẫu", list(SAMPLES), format_func=SAMPLES.get, key="setup_sample")

replacing = not empty
sure = st.checkbox(f"Xoá {DEMO_LABEL.lower()} để thiết lập", key="setup_sure") if replacing else True
ready = sure and (start == SAMPLE or bool(name)) and (start not in (UPLOAD, TEMPLATE) or file is not None)
if st.button("Bắt đầu", type="primary", key="setup_go", disabled=not ready, icon=":material/rocket_launch:"):
    try:
        if start == SAMPLE:
            done = door.load_sample(sample)
            message = f"Đã nạp {DEMO_LABEL.lower()}: {done['area']}, {done['units']} đơn vị."
        else:
            read = plan.read(file.name, file.getvalue(), area=name) if file is not None else None
            stored = door.start(name, level, read, replace_sample=replacing)
            message = f"Đã thiết lập {name}."
            if stored is not None:
                message += (f" Kế hoạch «{stored.name}»: {len(stored.units)} đơn vị, {len(stored.targets)} chỉ tiêu. "
                            "Tiếp theo: nhập báo cáo tháng ở trang «Nhập dữ liệu».")
            else:
                message += " Tiếp theo: nhập báo cáo tháng ở trang «Nhập dữ liệu»; đơn vị trong tệp được thêm vào danh sách."
    except (ValueError, StoreError) as error:
        ui.error(error)
    else:
        st.session_state["go"] = "views/overview.py" if start == SAMPLE else "views/imports.py"
        ui.written(message)
