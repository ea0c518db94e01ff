"""dvc-kpi: the Streamlit app. `streamlit run app.py` opens on the sample data the first time."""
import streamlit as st

import ui

st.set_page_config(page_title="Chỉ số dịch vụ công trực tuyến", page_icon=":material/monitoring:", layout="wide")
ui.store()  # creates the database on first start

page = st.navigation([
    st.Page("pages/overview.py", title="Tổng quan", icon=":material/dashboard:", default=True),
    st.Page("pages/imports.py", title="Nhập dữ liệu", icon=":material/upload_file:"),
])
page.run()
