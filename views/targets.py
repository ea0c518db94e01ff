"""Chỉ tiêu: the plans by year and which year each judges; a plan's targets in its own words, edited
in a table and saved in one transaction; each KPI's definition per plan, with what a change does
shown before it is saved; a plan copied to another year, imported from its Appendix 1 typed in
Excel, or exported to it."""
import pandas as pd
import streamlit as st

from views import ui
from kpi import appendix, measures, plan, scorecard, targets
from kpi.periods import Period
from views.ui import StoreError

st.title("Chỉ tiêu và cách tính")
door = ui.doorway()
known = ui.facts()
plans, area = known["plans"], known["area"]


def saved(message: str, year: int | None = None) -> None:
    """After a write: the message, and the plan of `year` shown next."""
    if year:
        st.session_state["show_year"] = year
    ui.written(message)


# -- the plans by year --------------------------------------------------------------------------------
st.subheader("Kế hoạch theo năm")
if plans.empty:
    st.info(f"{ui.plain(area['name'] or 'Địa bàn')} chưa có kế hoạch nào. Nhập Phụ lục 1 của kế hoạch năm ở phần "
            "«Nhập kế hoạch» dưới đây.", icon=":material/info:")
else:
    st.dataframe(plan.plans_table(plans), hide_index=True, width="stretch", key="plans")
    for year in plan.years_without_plan(plans, known["months"]):
        st.caption(f"Năm {year} có số liệu nhưng {plan.no_plan(year).lower()}: các tỷ lệ không được đánh giá.")

if not plans.empty:
    years = plans["year"].astype(int).tolist()
    chosen_year = ui.chosen_period().year if known["months"] else years[0]
    if st.session_state.get("show_year") in years:  # the plan just copied or imported
        st.session_state["plan_year"] = st.session_state.pop("show_year")
    year = st.selectbox("Kế hoạch năm", years, index=years.index(chosen_year) if chosen_year in years else 0,
                        key="plan_year", format_func=lambda y: f"{y}: {plans.set_index('year').at[y, 'name']}")
    current = door.plan(year)
    plan_id = int(plans.set_index("year").at[year, "plan_id"])
    st.caption(ui.plain(" · ".join(x for x in (current.area, current.document, current.source) if x)))
    edit, define, manage = st.tabs(["Chỉ tiêu", "Cách tính", "Chép, xuất, sửa tên, xoá"], key="plan_tabs")

    with edit:
        st.caption("Ghi đúng lời văn bản: «Trên 90» là lớn hơn hẳn 90% (90,00% chưa đạt), «Tối thiểu 40%», «Từ 98% "
                   "trở lên», «Đạt 100%», «>= 98» là từ mức đó trở lên. Ô để trống ở dòng đơn vị: dùng chỉ tiêu của "
                   "nhóm. Bấm «Lưu chỉ tiêu» để ghi mọi thay đổi cùng lúc.")
        grid = plan.with_units(current, known["units"]).target_grid()
        shown = [k.key for k in measures.CATALOGUE if k.key in set(current.targets["kpi"]) or k.key in
                 ("online", "cashless", "ontime", "digitised")]
        table = grid.assign(level=grid["level"].map(targets.LEVELS))[["level", "subject", *shown]]
        table[shown] = table[shown].fillna("")  # an empty cell, not "None"
        edited = st.data_editor(
            table, hide_index=True, width="stretch", key="targets_editor", num_rows="fixed",
            disabled=["level", "subject"], height=min(36 * (len(table) + 1) + 2, 560),
            column_config={"level": st.column_config.TextColumn("Áp dụng cho", width=90),
                           "subject": st.column_config.TextColumn("Đơn vị / nhóm", width=260, pinned=True),
                           **{k: st.column_config.TextColumn(measures.get(k).short, help=measures.get(k).label,
                                                             width=130) for k in shown}})
        if st.button("Lưu chỉ tiêu", type="primary", key="save_targets", icon=":material/save:"):
            changed = grid.copy()
            for key in shown:
                changed[key] = edited[key].to_numpy()
            new_targets, errors = plan.targets_from_grid(changed)
            if errors:
                st.error(f"Chưa lưu: {len(errors)} ô không đọc được.\n\n" + "\n\n".join(f"- {ui.plain(e)}" for e in errors),
                         icon=":material/error:")
            else:
                door.set_targets(plan_id, new_targets)
                saved(f"Đã lưu {len(new_targets)} chỉ tiêu của «{current.name}».", year)

    with define:
        st.caption("Một số chỉ tiêu có nhiều cách tính mẫu số theo văn bản khác nhau. Mỗi kế hoạch chọn cách tính "
                   "của mình; cách đang dùng được ghi trên mọi trang có tỷ lệ đó.")
        with_data = [m for m in known["months"] if m[0] == year]
        period = Period(year, with_data[-1][1], "ytd") if with_data else None
        chosen = dict(current.definitions)
        for kpi in measures.CATALOGUE:
            if len(kpi.variants) < 2:
                continue
            now = current.definitions.get(kpi.key, kpi.default_variant)
            chosen[kpi.key] = st.radio(kpi.label, list(kpi.variants), index=list(kpi.variants).index(now),
                                       key=f"variant_{kpi.key}_{year}", format_func=lambda v, kpi=kpi: kpi.variants[v].note)
        changed = [k for k in chosen if chosen[k] != current.definitions.get(k, measures.get(k).default_variant)]
        if changed:
            if period:
                before, after = ui.card(period), door.scorecard(period, definitions=chosen)
                for key in changed:
                    st.info(f"Nếu đổi «{measures.get(key).short}»: " + scorecard.definition_change(before, after, key),
                            icon=":material/info:")
            else:
                st.info(f"Năm {year} chưa có số liệu: cách tính mới dùng cho số liệu nhập sau này.",
                        icon=":material/info:")
            if st.button("Lưu cách tính", key="save_definitions", type="primary", icon=":material/save:"):
                for key in changed:
                    door.set_definition(plan_id, key, chosen[key])
                saved(f"«{current.name}»: " + "; ".join(f"{measures.get(k).label} = "
                                                        f"{measures.get(k).variants[chosen[k]].note}" for k in changed)
                      + ".", year)

    with manage:
        left, right = st.columns(2)
        with left:
            st.markdown("**Chép sang năm khác**")
            free = [y for y in range(year - 3, year + 4) if y not in years]
            target_year = st.selectbox("Năm nhận", free, index=free.index(year + 1) if year + 1 in free else 0,
                                       key="copy_to")
            if st.button(f"Chép kế hoạch năm {year} sang năm {target_year}", key="copy_plan",
                         icon=":material/content_copy:"):
                try:
                    copy = door.copy_plan(year, target_year)
                except (ValueError, StoreError) as error:
                    ui.error(error)
                else:
                    saved(f"Đã chép sang năm {target_year}: «{copy.name}». Sửa chỉ tiêu của năm {target_year} dưới "
                          "đây.", target_year)
            st.markdown("**Xuất Phụ lục 1**")
            st.download_button("Tải Phụ lục 1 (.xlsx)", lambda: appendix.write(current),
                               file_name=f"phu-luc-1-{year}.xlsx", icon=":material/download:", key="export_plan",
                               on_click="ignore")
        with right:
            st.markdown("**Tên và văn bản**")
            name = st.text_input("Tên kế hoạch", current.name, key=f"plan_name_{year}")
            document = st.text_input("Số văn bản", current.document or "", key=f"plan_document_{year}")
            source = st.text_area("Văn bản ban hành", current.source or "", key=f"plan_source_{year}", height=80)
            if st.button("Lưu tên", key="save_name", icon=":material/save:"):
                if not name.strip():
                    st.error("Kế hoạch cần có tên.", icon=":material/error:")
                else:
                    try:
                        door.update_plan(plan_id, name.strip(), document.strip(), source.strip())
                    except StoreError as error:
                        ui.error(error)
                    else:
                        saved(f"Đã lưu tên «{name.strip()}».")
            st.markdown("**Xoá kế hoạch**")
            sure = st.checkbox(f"Xoá kế hoạch năm {year}: các kỳ của năm {year} không còn được đánh giá; số liệu và "
                               "đơn vị giữ nguyên", key="delete_sure")
            if st.button("Xoá", key="delete_plan", disabled=not sure, icon=":material/delete:"):
                door.delete_plan(plan_id)
                saved(f"Đã xoá «{current.name}».")

# -- a plan from its Appendix 1 -------------------------------------------------------------------------
st.divider()
st.subheader("Nhập kế hoạch")
st.caption("Tải lên Phụ lục 1 của kế hoạch năm gõ trong Excel (.xlsx; hoặc tệp .toml): tiêu đề ghi năm và văn bản, "
           "dòng tiêu đề có cột «Đơn vị» và các cột chỉ tiêu, dòng nhóm I, II, III …, dòng đơn vị dưới nhóm.")
template_year = (int(plans["year"].max()) + 1) if not plans.empty else pd.Timestamp.today().year
st.download_button("Tải mẫu Phụ lục 1 để điền (.xlsx)",
                   lambda: appendix.template(area["name"] or "Tên địa bàn", template_year, area["level"] or "province",
                                             known["units"][known["units"]["until"].isna()]),
                   file_name=f"mau-phu-luc-1-{template_year}.xlsx", icon=":material/download:", key="plan_template",
                   on_click="ignore")
upload = st.file_uploader("Phụ lục 1", type=["xlsx", "toml"], key=f"plan_upload_{ui.counter('plan_upload')}",
                          max_upload_size=ui.UPLOAD_MB)
if upload is not None:
    left, right = st.columns(2)
    year_given = left.number_input("Năm (để trống: đọc từ tiêu đề)", 2000, 2100, value=None, step=1, key="plan_year_in")
    name_given = right.text_input("Tên kế hoạch (để trống: theo số văn bản)", key="plan_name_in")
    try:
        read = plan.read(upload.name, upload.getvalue(), year=int(year_given) if year_given else None,
                         name=name_given or None, area=area["name"])
        preview = plan.for_area(read, area["name"], known["units"], known["aliases"])
    except ValueError as error:
        ui.error(error)
        st.stop()
    st.markdown(f"**{ui.plain(preview.name)}** · {ui.plain(preview.area)} · năm **{preview.year}** · {len(preview.units)} đơn vị trong "
                f"{len(preview.groups)} nhóm · {len(preview.targets)} chỉ tiêu")
    for note in preview.notes:
        st.caption(ui.plain(note))
    grid = preview.target_grid()
    kept = [k for k in measures.KPIS if grid[k].notna().any()]
    st.dataframe(grid.assign(level=grid["level"].map(targets.LEVELS))[["level", "subject", *kept]].rename(
        columns={"level": "Áp dụng cho", "subject": "Đơn vị / nhóm", **{k: measures.get(k).short for k in kept}}),
        hide_index=True, width="stretch", key="plan_preview")
    new = set(preview.units["unit"]) - set(known["units"]["unit"])
    if new and not known["units"].empty:
        st.caption(f"{len(new)} đơn vị mới sẽ được thêm: " + ui.plain(", ".join(sorted(new)[:20])) + ("…" if len(new) > 20 else ""))
    exists = preview.year in set(plans["year"].astype(int))
    replace = exists and st.checkbox(f"Thay kế hoạch năm {preview.year} đã có bằng kế hoạch này", key="plan_replace")
    if st.button("Lưu kế hoạch", type="primary", key="save_plan", disabled=exists and not replace,
                 icon=":material/save:"):
        try:
            door.save_plan(read, replace=replace)
        except (ValueError, StoreError) as error:
            ui.error(error)
        else:
            ui.counter("plan_upload", step=1)
            saved(f"Đã lưu «{preview.name}»: đánh giá các kỳ của năm {preview.year}.", preview.year)
