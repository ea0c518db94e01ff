"""Nhập dữ liệu: upload the month's report as the one-stop system exports it, check, preview, store."""
import hashlib

import pandas as pd
import streamlit as st

from views import ui, widgets
from kpi import fmt, ingest

MAPPABLE = 300  # unknown names offered one choice each; a province lists about 120 units

st.title("Nhập dữ liệu")
st.caption("Tải lên báo cáo tháng đúng như Hệ thống một cửa điện tử xuất ra (.xlsx, .xls, .csv; tối đa "
           f"{ui.UPLOAD_MB} MB). Không có tệp từ hệ thống? Dùng mẫu nhập liệu.")
ingest.start_readers()  # a file is about to come: its reader is made ready meanwhile
door = ui.doorway()
units = ui.facts()["units"]
units = units[units["until"].isna()]  # retired and merged units take no new counts
latest = (ui.months() or [(2024, 1)])[-1]
st.download_button("Tải mẫu nhập liệu (.xlsx)", lambda: ingest.template(units, latest), file_name="mau-nhap-lieu.xlsx",
                   icon=":material/download:", key="template", on_click="ignore")

done = st.session_state.pop("import_done", None)
if done:
    st.success(ui.plain(done), icon=":material/check_circle:")

upload = st.file_uploader("Báo cáo tháng", type=["xlsx", "xls", "csv"], key=f"upload_{ui.counter('upload')}",
                          max_upload_size=ui.UPLOAD_MB)
if upload is not None:
    data = upload.getvalue()
    digest = hashlib.sha256(data).hexdigest()
    cached = st.session_state.get("prepared")
    if cached is None or cached[0] != digest:
        bar = st.progress(0.0, text="Đang đọc tệp…")
        ui.give_turn_up()  # reading a large file may take a minute: other people's pages run meanwhile
        try:
            prepared = door.prepare(upload.name, data, progress=lambda f, text: bar.progress(f, text=text))
        except ingest.InputError as error:
            bar.empty()
            ui.error(error)
            st.stop()
        bar.empty()
        st.session_state["prepared"] = (digest, prepared)
    prepared = st.session_state["prepared"][1]

    if prepared.already_imported:
        st.error(ui.plain(prepared.already_imported), icon=":material/error:")
        st.stop()
    if prepared.errors:
        st.error(f"Không nhập được: {fmt.number(len(prepared.errors))} lỗi. Hãy sửa tệp rồi tải lên lại.", icon=":material/error:")
        st.dataframe(pd.DataFrame({"Lỗi": prepared.errors}), hide_index=True, width="stretch")
        st.stop()
    st.write(f"Trang **{ui.plain(prepared.sheet)}**: {fmt.number(len(prepared.rows))} đơn vị, {len(prepared.columns)} cột số liệu.")
    if prepared.ignored_columns:
        st.caption("Cột không dùng: " + ui.plain("; ".join(prepared.ignored_columns)))

    left, right = st.columns(2)
    default_year, default_month = prepared.title_period or latest
    # a file without its month is never given one by default: a wrong guess would store a month's counts elsewhere
    month = left.selectbox("Tháng", range(1, 13), index=default_month - 1 if prepared.title_period else None,
                           key="import_month", placeholder="Chọn tháng của số liệu")
    year = right.number_input("Năm", 2015, 2100, value=default_year, step=1, key="import_year")
    if prepared.window:
        st.caption(f"Tiêu đề tệp ghi kỳ báo cáo {prepared.window_label}: số liệu tháng {prepared.title_period[1]}/"
                   f"{prepared.title_period[0]} (kỳ được tính theo tháng của ngày cuối).")
    elif prepared.title_period:
        st.caption(f"Tiêu đề tệp ghi: tháng {prepared.title_period[1]}/{prepared.title_period[0]}.")
    else:
        st.info("Tệp không ghi tháng báo cáo (tệp xuất từ trang web thường không có tiêu đề): hãy chọn tháng và năm "
                "của số liệu ở trên.", icon=":material/event:")

    mapping, new_units, unresolved, skip = {}, {}, [], set()
    field_unit = None
    if prepared.by_field:  # one unit's month, its rows the fields (lĩnh vực)
        st.subheader("Báo cáo theo lĩnh vực")
        names = units["unit"].tolist()
        field_unit = st.selectbox("Đơn vị của báo cáo", names, key="field_unit", placeholder="Chọn đơn vị",
                                  index=names.index(prepared.title_unit) if prepared.title_unit in names else None)
        st.caption(f"Các dòng của tệp là {fmt.number(len(prepared.rows))} lĩnh vực: tổng của chúng là số liệu tháng của "
                   "đơn vị; từng lĩnh vực được giữ để xem ở trang «Đơn vị»."
                   + (" Tiêu đề tệp ghi đơn vị này." if prepared.title_unit else " Tiêu đề tệp không ghi đơn vị: hãy chọn."))
        if field_unit is None:
            unresolved.append("")
    elif len(prepared.unknown) > MAPPABLE:
        # a choice per name would be thousands of widgets: offer what the CLI's --add-units does
        st.subheader("Đơn vị chưa có trong danh sách")
        st.warning(f"Tệp có {fmt.number(len(prepared.unknown))} tên đơn vị chưa có trong danh sách, quá nhiều để ghép "
                   f"từng tên (tối đa {fmt.number(MAPPABLE)}). Hãy kiểm tra đây đúng là báo cáo tháng; nếu nhập, "
                   f"tất cả sẽ được thêm thành đơn vị mới theo nhóm gợi ý dưới đây.", icon=":material/warning:")
        new_units = {name: prepared.groups[name] for name in prepared.unknown}
        st.dataframe(pd.DataFrame({"Tên trong tệp": list(new_units), "Nhóm": list(new_units.values())}),
                     hide_index=True, width="stretch", height=240)
    elif prepared.unknown:
        st.subheader("Đơn vị chưa có trong danh sách")
        st.caption("Ghép với một đơn vị đã có, thêm đơn vị mới, hoặc bỏ qua dòng (một dòng tổng nhóm, một đơn vị "
                   "không thuộc địa bàn). Lựa chọn ghép được ghi nhớ cho các lần nhập sau.")
        groups = list(dict.fromkeys([*units["group"], ingest.OTHER_GROUP]))
        for i, name in enumerate(prepared.unknown):
            choice = st.selectbox(f"«{ui.plain(name)}»", [ui.NEW_UNIT, ui.SKIP_ROW, *units["unit"]], key=f"map_{i}",
                                  index=None, placeholder="Chọn: ghép với đơn vị đã có, thêm đơn vị mới, hoặc bỏ qua")
            if choice is None:  # never added by default: a name in a file is not a unit until someone says so
                unresolved.append(name)
            elif choice == ui.SKIP_ROW:
                skip.add(name)
            elif choice == ui.NEW_UNIT:
                group = st.selectbox(f"Nhóm của «{ui.plain(name)}»", groups, key=f"group_{i}",
                                     index=groups.index(prepared.groups.get(name, ingest.OTHER_GROUP)))
                new_units[name] = group
            else:
                mapping[name] = choice

    if month is None:
        st.button("Xác nhận nhập", type="primary", disabled=True, key="confirm", icon=":material/upload:")
        st.stop()
    if unresolved:  # the preview and the import wait for every name's unit
        st.info("Hãy chọn đơn vị của báo cáo." if prepared.by_field else
                f"Còn {fmt.number(len(unresolved))} tên chưa chọn đơn vị; chọn xong mới nhập được.", icon=":material/info:")
        st.button("Xác nhận nhập", type="primary", disabled=True, key="confirm", icon=":material/upload:")
        st.stop()
    if skip and len(skip) == len(prepared.rows):
        st.info("Mọi dòng của tệp đều được bỏ qua: không có gì để nhập.", icon=":material/info:")
        st.stop()
    period = (int(year), int(month))
    definitions = ui.facts()["definitions"].get(period[0], {})  # the plan of the month's year
    for note in prepared.unavailable(definitions):
        st.info(ui.plain(note), icon=":material/info:")
    plans = ui.facts()["plans"]
    year_plan = plans[plans["year"] == period[0]]
    widgets.definitions_allowed(prepared.instead(definitions), None if year_plan.empty else year_plan.iloc[0].to_dict())
    preview = prepared.preview(period, {**mapping, **{n: n for n in new_units}}, definitions, skip, field_unit)
    if skip:
        st.caption(f"Bỏ qua {fmt.number(len(skip))} dòng: " + ui.plain(", ".join(sorted(skip))) + ".")
    st.subheader(f"Xem trước: tháng {period[1]}/{period[0]}")
    st.dataframe(ingest.preview_table(preview), hide_index=True, width="stretch")

    accept = True
    if prepared.warnings:
        st.warning(f"{fmt.number(len(prepared.warnings))} cảnh báo:\n\n" + "\n\n".join(f"- {ui.plain(w)}" for w in prepared.warnings),
                   icon=":material/warning:")
        accept = st.checkbox("Tôi đã xem các cảnh báo và vẫn nhập", key="accept_warnings")
    if ui.facts()["sample"]:  # the first real import: the sample goes, and an undo does not bring it back
        st.warning("Đây là lần nhập số liệu thật đầu tiên: khi xác nhận, toàn bộ **dữ liệu mẫu** sẽ bị xoá. Hoàn tác "
                   "lần nhập này không đưa dữ liệu mẫu trở lại (muốn xem lại dữ liệu mẫu: `python -m kpi --db "
                   "mau.duckdb init --demo`, trên một tệp cơ sở dữ liệu khác).", icon=":material/delete_sweep:")
    existing = door.stored_months(list(dict.fromkeys(preview["unit"])), *period)
    replace = False
    if existing:
        st.warning(f"Đã có số liệu tháng {period[1]}/{period[0]} của {fmt.number(len(existing))} đơn vị: {ui.plain(', '.join(existing))}.",
                   icon=":material/warning:")
        replace = st.checkbox("Thay thế số liệu đã có (có thể hoàn tác)", key="replace")
    ready = accept and (replace or not existing)
    if st.button("Xác nhận nhập", type="primary", disabled=not ready, key="confirm", icon=":material/upload:"):
        try:
            result = door.commit(prepared, period, mapping=mapping, new_units=new_units, replace=replace,
                                 accept_warnings=accept, skip=skip, unit=field_unit)
        except (ingest.InputError, ui.StoreError) as error:
            ui.error(error)
            st.stop()
        st.session_state.pop("prepared", None)
        st.session_state.pop("undo_id", None)  # the undo choice moves to the import just made
        ui.counter("upload", step=1)  # a fresh uploader
        st.session_state["import_done"] = (
            f"Đã nhập {prepared.file_name}: tháng {period[1]}/{period[0]}, {fmt.number(result['units'])} đơn vị "
            f"(lần nhập số {result['import_id']}"
            + (f"; thay thế {fmt.number(result['replaced'])} dòng" if result["replaced"] else "")
            + ("; đã xoá dữ liệu mẫu" if result["sample_removed"] else "") + ").")
        st.rerun()

st.divider()
st.subheader("Lịch sử nhập")
history = door.imports()
if history.empty:
    st.caption("Chưa có lần nhập nào.")
else:
    st.dataframe(ingest.history_table(history), hide_index=True, width="stretch")
    active = history[(history["kind"] == "file") & history["undone_at"].isna()]
    if not active.empty:
        labels = {int(r.import_id): f"Số {r.import_id}: {r.file_name} ({r.period})" for r in active.itertuples()}
        chosen = st.selectbox("Hoàn tác lần nhập", list(labels), format_func=labels.get, key="undo_id")
        if st.button("Hoàn tác…", key="undo", icon=":material/undo:"):
            st.session_state["undo_asked"] = chosen
        if st.session_state.get("undo_asked") == chosen:  # said in full, then confirmed
            row = active.set_index("import_id").loc[chosen]
            added = ui.facts()["units"].query("added_by == @chosen")["unit"].tolist()
            st.warning(f"Hoàn tác lần nhập số {chosen}: tệp **{ui.plain(row['file_name'])}**, tháng {row['period']}, "
                       f"{fmt.number(row['units'])} đơn vị, {fmt.number(row['rows'])} dòng. Các số liệu lần nhập này "
                       "đã thay thế được khôi phục"
                       + (f"; {fmt.number(len(added))} đơn vị nó thêm bị bỏ" if added else "") + ".",
                       icon=":material/undo:")
            yes, no = st.columns([1, 4])
            if no.button("Thôi", key="undo_cancel"):
                st.session_state.pop("undo_asked")
                st.rerun()
            if yes.button("Xác nhận hoàn tác", key="undo_confirm", type="primary"):
                st.session_state.pop("undo_asked")
                try:
                    result = door.undo_import(chosen)
                except ui.StoreError as error:
                    ui.error(error)
                else:
                    st.session_state["import_done"] = ingest.undo_summary(chosen, result)
                    st.rerun()
