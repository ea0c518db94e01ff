"""dvc-kpi: the Streamlit app. `streamlit run app.py` opens on the sample data the first time; a
database without an area opens on its set-up."""
import streamlit as st

import ui

st.set_page_config(page_title="Chỉ số dịch vụ công trực tuyến", page_icon=":material/monitoring:", layout="wide")
ui.store()  # creates the database on first start

SETUP = st.Page("views/setup.py", title="Thiết lập", icon=":material/settings:", url_path="setup")
if not ui.facts()["area"]["name"]:  # an empty database: its area and plan come first
    ui.flash()
    st.navigation([SETUP]).run()
    st.stop()

page = st.navigation({
    "Theo dõi": [
        st.Page("views/overview.py", title="Tổng quan", icon=":material/dashboard:", default=True),
        st.Page("views/ranking.py", title="Xếp hạng", icon=":material/leaderboard:"),
        st.Page("views/unit.py", title="Đơn vị", icon=":material/apartment:"),
        st.Page("views/report.py", title="Báo cáo", icon=":material/summarize:"),
        st.Page("views/present.py", title="Trình chiếu", icon=":material/slideshow:"),
    ],
    "Quản lý": [
        st.Page("views/imports.py", title="Nhập dữ liệu", icon=":material/upload_file:"),
        st.Page("views/targets.py", title="Chỉ tiêu", icon=":material/target:"),
        st.Page("views/units.py", title="Danh sách đơn vị", icon=":material/list_alt:"),
        SETUP,
    ],
})
if target := st.session_state.pop("go", None):  # where the set-up leads next
    st.switch_page(target)
ui.frame()  # the sidebar (area, period, the plan that judges it) and the sample-data banner, shared by every page
page.run()
