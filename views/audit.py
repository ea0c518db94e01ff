"""Nhật ký: who changed what and when, and every login (admins only); filtered, and as an Excel file."""
import datetime as dt

import pandas as pd
import streamlit as st

from views import ui
from kpi import exports, fmt
from kpi.service import ACTIONS

door = ui.doorway()
st.title("Nhật ký")
today = dt.date.today()
left, middle, right = st.columns([2, 2, 3])
days = left.date_input("Từ ngày – đến ngày", (today - dt.timedelta(days=30), today), format="DD/MM/YYYY",
                       key="audit_days")
start, end = (days[0], days[-1]) if isinstance(days, tuple) and days else (today, today)
everyone = door.audit()
actors = ["Tất cả", *sorted(everyone["actor"].dropna().unique())]
who = middle.selectbox("Người thực hiện", actors, key="audit_actor")
labels = {label: key for key, (_, label) in ACTIONS.items()}
picked = right.multiselect("Việc", list(labels), placeholder="Mọi việc", key="audit_actions")
trail = door.audit(since=pd.Timestamp(start), until=pd.Timestamp(end) + pd.Timedelta(days=1),
                   actor=None if who == "Tất cả" else who, actions=[labels[p] for p in picked] or None)
table = pd.DataFrame({
    "Thời gian": trail["logged_at"].dt.strftime("%d/%m/%Y %H:%M:%S"),
    "Người thực hiện": trail["actor"].fillna("(chưa đăng nhập)"),
    "Vai trò": trail["role"].map(ui.ROLES).fillna(""),
    "Từ": trail["client"].fillna(""),
    "Việc": trail["action"].map(lambda a: ACTIONS.get(a, (None, a))[1]),
    "Đối tượng": trail["subject"].fillna(""),
    "Trước": trail["before"].fillna(""),
    "Sau": trail["after"].fillna(""),
})
st.caption(f"{fmt.number(len(table))} dòng từ {start:%d/%m/%Y} đến {end:%d/%m/%Y}.")
st.dataframe(table, hide_index=True, width="stretch",
             column_config={"Trước": st.column_config.TextColumn(width="medium"),
                            "Sau": st.column_config.TextColumn(width="medium")})
st.download_button("Tải nhật ký (.xlsx)", lambda: exports.to_xlsx(table, "Nhật ký"),
                   file_name=f"nhat-ky-{start:%Y%m%d}-{end:%Y%m%d}.xlsx", icon=":material/download:",
                   key="audit_xlsx", on_click="ignore", disabled=table.empty)
