"""dvc-kpi: the Streamlit app. `streamlit run app.py` opens on the sample data the first time."""
import streamlit as st

import ui

st.set_page_config(page_title="Chỉ số dịch vụ công trực tuyến", page_icon=":material/monitoring:", layout="wide")
ui.store()  # creates the database on first start

page = st.navigation([
    st.Page("views/overview.py", title="Tổng quan", icon=":material/dashboard:", default=True),
    st.Page("views/ranking.py", title="Xếp hạng", icon=":material/leaderboard:"),
    st.Page("views/unit.py", title="Đơn vị", icon=":material/apartment:"),
    st.Page("views/report.py", title="Báo cáo", icon=":material/summarize:"),
    st.Page("views/present.py", title="Trình chiếu", icon=":material/slideshow:"),
    st.Page("views/imports.py", title="Nhập dữ liệu", icon=":material/upload_file:"),
    st.Page("views/targets.py", title="Chỉ tiêu", icon=":material/target:"),
])
ui.frame()  # the sidebar (plan, period) and the sample-data banner, shared by every page
page.run()
