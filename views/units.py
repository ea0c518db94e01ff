"""Danh sách đơn vị: the area's units over time. Add a unit, rename it (the old name stays as another
name, the history stays), move it to another group, retire it from a month, merge units into one
from a month; the other names files write for a unit, listed, changed or removed."""
import pandas as pd
import streamlit as st

from views import ui
from kpi import roster
from kpi.ingest import names

NEW_GROUP = "— Nhóm mới —"
NEW_UNIT = "— Đơn vị mới —"

st.title("Danh sách đơn vị")
door = ui.doorway()
known = ui.facts()
units, aliases = known["units"], known["aliases"]
active = units[units["until"].isna()]
groups = list(dict.fromkeys(active["group"]))
plan_years = sorted(known["plans"]["year"].astype(int).tolist())




def group_picker(label: str, key: str, default: str | None = None) -> str:
    options = [*groups, NEW_GROUP]
    chosen = st.selectbox(label, options, index=options.index(default) if default in options else 0, key=key)
    if chosen == NEW_GROUP:
        return st.text_input("Tên nhóm mới", key=f"{key}_new").strip()
    return chosen


def month_picker(label: str, key: str) -> int:
    """A month as YYYYMM, by default the latest month with data."""
    year, month = (known["months"] or [(pd.Timestamp.today().year, pd.Timestamp.today().month)])[-1]
    left, right = st.columns(2)
    month = left.selectbox(f"{label}: tháng", range(1, 13), index=month - 1, key=f"{key}_month")
    year = right.number_input(f"{label}: năm", 2015, 2100, value=year, step=1, key=f"{key}_year")
    return roster.month_key(int(year), int(month))


every = st.toggle("Hiện cả đơn vị đã thôi hoạt động hoặc đã gộp", key="every_unit")
st.caption(f"{len(active)} đơn vị đang hoạt động trong {len(groups)} nhóm"
           + (f"; {len(units) - len(active)} đơn vị đã thôi hoạt động hoặc đã gộp." if len(units) > len(active) else "."))
st.dataframe(roster.units_table(units, aliases, every=every), hide_index=True, width="stretch", key="units")

if active.empty:
    st.info("Chưa có đơn vị nào. Thêm đơn vị ở đây, nhập kế hoạch ở trang «Chỉ tiêu», hoặc nhập báo cáo tháng ở "
            "trang «Nhập dữ liệu».", icon=":material/info:")
names_active = active["unit"].tolist()
add, rename, regroup, retire, merge, other = st.tabs(
    ["Thêm", "Đổi tên", "Chuyển nhóm", "Thôi hoạt động", "Gộp", "Tên khác trong tệp"], key="unit_tabs")

with add:
    name = st.text_input("Tên đơn vị", key="add_name").strip()
    group = group_picker("Nhóm", "add_group")
    since = month_picker("Hoạt động từ", "add_since") if st.checkbox("Bắt đầu từ một tháng", key="add_from") else None
    if st.button("Thêm đơn vị", key="add_unit", type="primary", disabled=not (name and group)):
        ui.attempt(lambda: door.add_unit(name, group, since), f"Đã thêm «{name}» vào nhóm «{group}».")

if names_active:
    with rename:
        old = st.selectbox("Đơn vị", names_active, key="rename_unit")
        new = st.text_input("Tên mới", key="rename_new").strip()
        st.caption("Số liệu, thứ hạng và chỉ tiêu giữ nguyên; tên cũ thành tên khác của đơn vị, nên tệp còn ghi tên cũ "
                   "vẫn được nhận ra.")
        if st.button("Đổi tên", key="rename", type="primary", disabled=not new or new == old):
            alias = names.key(old) if names.key(old) != names.key(new) else None
            ui.attempt(lambda: door.rename_unit(old, new, alias), f"Đã đổi tên «{old}» thành «{new}».")

    with regroup:
        moved = st.selectbox("Đơn vị", names_active, key="regroup_unit")
        current = active.set_index("unit").at[moved, "group"]
        to = group_picker(f"Từ nhóm «{current}» sang nhóm", "regroup_group")
        year = (st.selectbox("Trong kế hoạch từ năm", plan_years, index=len(plan_years) - 1, key="regroup_year")
                if plan_years else None)
        if st.button("Chuyển nhóm", key="regroup", type="primary", disabled=not to or to == current):
            ui.attempt(lambda: door.regroup_unit(moved, to, year), f"Đã chuyển «{moved}» sang nhóm «{to}».")

    with retire:
        leaving = st.selectbox("Đơn vị", names_active, key="retire_unit")
        since = month_picker("Thôi hoạt động từ", "retire_since")
        st.caption(f"Từ tháng {roster.month_text(since)}, đơn vị không còn trong xếp hạng; số liệu trước đó giữ nguyên.")
        if st.button("Thôi hoạt động", key="retire", type="primary"):
            ui.attempt(lambda: door.retire_unit(leaving, since),
                    f"«{leaving}» thôi hoạt động từ tháng {roster.month_text(since)}.")
        gone = units.loc[units["until"].notna(), "unit"].tolist()
        if gone:
            back = st.selectbox("Cho hoạt động trở lại", gone, key="restore_unit")
            if st.button("Hoạt động trở lại", key="restore"):
                ui.attempt(lambda: door.restore_unit(back), f"«{back}» hoạt động trở lại.")

    with merge:
        parts = st.multiselect("Các đơn vị được gộp", names_active, key="merge_parts", placeholder="Chọn các đơn vị")
        target = st.selectbox("Thành đơn vị", [NEW_UNIT, *[u for u in names_active if u not in parts]],
                              key="merge_into")
        group = None
        if target == NEW_UNIT:
            target = st.text_input("Tên đơn vị mới", key="merge_new").strip()
            group = group_picker("Nhóm của đơn vị mới", "merge_group")
        since = month_picker("Gộp từ", "merge_since")
        st.caption("Từ tháng đó, các đơn vị được gộp thôi hoạt động; khi so sánh với các kỳ trước, đơn vị sau khi gộp "
                   "được tính bằng số liệu cộng lại của các đơn vị được gộp.")
        if st.button("Gộp", key="merge", type="primary", disabled=not (parts and target)):
            ui.attempt(lambda: door.merge_units(parts, target, since, group),
                    f"Đã gộp {', '.join(parts)} thành «{target}» từ tháng {roster.month_text(since)}.")

    with other:
        st.caption("Tên khác là cách một tệp báo cáo ghi tên một đơn vị («UBND xã Mỹ Hương» cho «Xã Mỹ Hương»). "
                   "Tên khác được nhớ mỗi lần ghép tên với một đơn vị khi nhập dữ liệu; tên được so khớp không phân "
                   "biệt dấu, chữ hoa và chữ viết tắt.")
        if not aliases.empty:
            st.dataframe(aliases[["written", "unit"]].rename(columns={"written": "Tên khác", "unit": "Đơn vị"}),
                         hide_index=True, width="stretch", key="aliases")
            written = dict(zip(aliases["alias"], aliases["written"]))
            left, right = st.columns(2)
            alias = left.selectbox("Tên khác", list(written), format_func=written.get, key="alias_pick")
            points = aliases.set_index("alias").at[alias, "unit"]
            unit = right.selectbox("Chỉ tới đơn vị", names_active,
                                   index=names_active.index(points) if points in names_active else 0, key="alias_unit")
            left, right = st.columns(2)
            if left.button("Lưu", key="alias_save", disabled=unit == points):
                ui.attempt(lambda: door.set_alias(alias, unit), f"«{written[alias]}» từ nay chỉ tới «{unit}».")
            if right.button("Bỏ tên khác", key="alias_remove"):
                ui.attempt(lambda: door.remove_alias(alias), f"Đã bỏ tên khác «{written[alias]}».")
        st.markdown("**Thêm tên khác**")
        left, right = st.columns(2)
        typed = left.text_input("Tên như tệp ghi", key="alias_new").strip()
        unit = right.selectbox("Là đơn vị", names_active, key="alias_new_unit")
        if st.button("Thêm tên khác", key="alias_add", disabled=not typed):
            ui.attempt(lambda: door.set_alias(names.key(typed), unit, typed), f"Tệp ghi «{typed}» từ nay là «{unit}».")
