"""Chỉ tiêu: the plan's targets in its own words, and how each rate is counted (the denominator
variants of DOMAIN.md section 4), which the office can change here."""
import pandas as pd
import streamlit as st

import ui
from kpi import measures, targets

st.title("Chỉ tiêu và cách tính")
card = ui.card()
st.caption(f"{card.plan['name']} · {card.plan.get('source') or ''}")

table = card.target_table
st.subheader("Chỉ tiêu của kế hoạch")
st.dataframe(pd.DataFrame({
    "Chỉ tiêu": table["kpi"].map(lambda k: measures.get(k).label),
    "Áp dụng cho": table["level"].map(targets.LEVELS),
    "Đơn vị / nhóm": table["subject"],
    "Mức theo kế hoạch": table["wording"],
    "Cách so sánh": table["comparator"].map({"gt": "lớn hơn hẳn (90,00% chưa đạt «Trên 90»)",
                                              "ge": "từ mức đó trở lên"}),
}), hide_index=True, width="stretch")

st.subheader("Cách tính tỷ lệ")
st.caption("Một số chỉ tiêu có nhiều cách tính mẫu số theo văn bản khác nhau. Cách đang dùng được ghi trên mọi trang.")
settings = ui.facts()["settings"]
for kpi in measures.CATALOGUE:
    if len(kpi.variants) < 2:
        continue
    chosen = settings.get(kpi.key, kpi.default_variant)
    picked = st.radio(kpi.label, list(kpi.variants), index=list(kpi.variants).index(chosen), key=f"variant_{kpi.key}",
                      format_func=lambda v, kpi=kpi: kpi.variants[v].note)
    if picked != chosen:
        ui.store().set_setting(kpi.key, picked)
        st.cache_data.clear()
        st.rerun()
