"""Nhật ký: who changed what and when, and every login (admins only); filtered, and as an Excel file."""
import datetime as dt
import json

import pandas as pd
import streamlit as st

from kpi import exports, fmt, measures
from kpi.service import ACTIONS, SETTINGS
from views import ui

# the words of the trail's details, as the pages say them
WORDS = {"role": "vai trò", "name": "tên", "group": "nhóm", "since": "từ tháng", "until": "đến tháng",
         "import_id": "lần nhập số", "period": "tháng", "units": "đơn vị", "rows": "dòng", "replaced": "thay thế",
         "new_units": "đơn vị mới", "warnings_accepted": "chấp nhận cảnh báo", "sha256": "mã tệp",
         "password": "có mật khẩu", "disabled": "đã khoá", "known": "tên có trong danh sách", "plans": "kế hoạch",
         "plan": "kế hoạch", "area": "địa bàn", "level": "cấp", "replaced_sample": "thay dữ liệu mẫu",
         "from": "chép từ năm", "from_year": "từ năm", "into": "gộp thành", "parts": "các đơn vị gộp",
         "new_unit": "đơn vị mới", "removed": "đã bỏ", "restored": "khôi phục", "document": "số văn bản",
         "source": "nguồn", "year": "năm", "targets": "chỉ tiêu", "unit": "đơn vị", "plan_id": "mã kế hoạch",
         **{key: label for key, (label, _) in SETTINGS.items()},
         **{key: kpi.label for key, kpi in measures.KPIS.items()}}


def said(value) -> str:
    if isinstance(value, bool):
        return "có" if value else "không"
    if isinstance(value, list):
        return ", ".join(said(v) for v in value)
    return ui.ROLES.get(value, str(value)) if isinstance(value, str) else str(value)


def target_text(row: dict) -> str:
    return f"{row['subject']} · {measures.get(row['kpi']).short}: {row['wording']}"


def details(before: str | None, after: str | None) -> tuple[str, str]:
    """The trail's before and after in words; of a target table, only the targets that changed."""
    was, now = (json.loads(x) if isinstance(x, str) else None for x in (before, after))
    if isinstance(was, list) and isinstance(now, list):  # a plan's targets: what changed
        old, new = ({(r["level"], r["subject"], r["kpi"]): r for r in rows} for rows in (was, now))
        changed = [k for k in old.keys() | new.keys() if (old.get(k) or {}).get("wording") != (new.get(k) or {}).get(
            "wording")]
        return ("; ".join(target_text(old[k]) for k in sorted(changed) if k in old),
                "; ".join(target_text(new[k]) for k in sorted(changed) if k in new))
    return tuple(_words(x) for x in (was, now))


def _words(value) -> str:
    if isinstance(value, dict):
        return "; ".join(f"{WORDS.get(k, k)}: {_value(k, v)}" for k, v in value.items() if v is not None)
    return "" if value is None else said(value)


def _value(key: str, value) -> str:
    if key == "targets" and isinstance(value, list):
        return f"{len(value)} chỉ tiêu"
    if key in measures.KPIS and value in measures.get(key).variants:  # a definition: how it is counted
        return measures.get(key).variants[value].note
    return said(value)


door = ui.doorway()
st.title("Nhật ký")
today = dt.date.today()
left, middle, right = st.columns([2, 2, 3])
# a choice of spans, not Streamlit's calendar, which names its months and days in English
SPANS = {"Hôm nay": 0, "7 ngày qua": 6, "30 ngày qua": 29, "90 ngày qua": 89, "12 tháng qua": 364, "Từ đầu": None}
span = left.selectbox("Thời gian", list(SPANS), index=2, key="audit_span")
start, end = (None if SPANS[span] is None else today - dt.timedelta(days=SPANS[span])), today
everyone = "Tất cả"
who = middle.selectbox("Người thực hiện", [everyone, *door.audit_actors()], key="audit_actor")
labels = {label: key for key, (_, label) in ACTIONS.items()}
picked = right.multiselect("Việc", list(labels), placeholder="Mọi việc", key="audit_actions")
trail = door.audit(since=start and pd.Timestamp(start), until=pd.Timestamp(end) + pd.Timedelta(days=1),
                   actor=None if who == everyone else who, actions=[labels[p] for p in picked] or None)
worded = [details(b, a) for b, a in zip(trail["before"], trail["after"])]
table = pd.DataFrame({
    "Thời gian": trail["logged_at"].dt.strftime("%d/%m/%Y %H:%M:%S"),
    "Người thực hiện": trail["actor"].fillna("(chưa đăng nhập)"),
    "Vai trò": trail["role"].map(ui.ROLES).fillna(""),
    "Từ máy": trail["client"].fillna("máy chủ"),
    "Việc": trail["action"].map(lambda a: ACTIONS.get(a, (None, a))[1]),
    "Đối tượng": trail["subject"].map(lambda x: WORDS.get(x, x) if isinstance(x, str) else "").fillna(""),
    "Trước": [b for b, _ in worded],
    "Sau": [a for _, a in worded],
})
start = start or (trail["logged_at"].min().date() if len(trail) else today)
st.caption(f"{fmt.number(len(table))} dòng từ {start:%d/%m/%Y} đến {end:%d/%m/%Y}.")
st.dataframe(table, hide_index=True, width="stretch",
             column_config={"Trước": st.column_config.TextColumn(width="medium"),
                            "Sau": st.column_config.TextColumn(width="medium")})
st.download_button("Tải nhật ký (.xlsx)", lambda: exports.to_xlsx(table, "Nhật ký"),
                   file_name=f"nhat-ky-{start:%Y%m%d}-{end:%Y%m%d}.xlsx", icon=":material/download:",
                   key="audit_xlsx", on_click="ignore", disabled=table.empty)
