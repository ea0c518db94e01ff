"""Người dùng: accounts and their roles, and the settings of who must log in (admins only)."""
import pandas as pd
import streamlit as st

from views import ui
from kpi.service import SETTINGS
from views.ui import ROLES

door = ui.doorway()
st.title("Người dùng")
users = door.users()
st.dataframe(pd.DataFrame({
    "Tên đăng nhập": users["name"], "Vai trò": users["role"].map(ROLES),
    "Trạng thái": users["disabled"].map({True: "Đã khoá", False: "Hoạt động"}),
    "Đăng nhập bằng": users["has_password"].map({True: "Mật khẩu", False: "Đăng nhập một lần"}),
    "Sai liên tiếp": users["failed"], "Tạo lúc": users["created_at"].dt.strftime("%d/%m/%Y %H:%M"),
}), hide_index=True, width="stretch")




add, change, options = st.tabs(["Thêm người dùng", "Đổi vai trò, mật khẩu, khoá", "Cài đặt đăng nhập"], key="user_tabs")
with add:
    with st.form("add_user", clear_on_submit=True):
        name = st.text_input("Tên đăng nhập", placeholder="chữ không dấu, số và . _ @ -, ví dụ: nguyen.van.a")
        role = st.radio("Vai trò", list(ROLES), format_func=ROLES.get, horizontal=True)
        sso = st.checkbox("Chỉ đăng nhập một lần của cơ quan (không dùng mật khẩu); tên đăng nhập là địa chỉ email")
        password = st.text_input("Mật khẩu (ít nhất 8 ký tự)", type="password")
        again = st.text_input("Nhập lại mật khẩu", type="password")
        if st.form_submit_button("Thêm", type="primary"):
            if not sso and password != again:
                st.error("Hai lần nhập mật khẩu không giống nhau.", icon=":material/error:")
            else:
                ui.attempt(lambda: door.add_user(name, role, None if sso else password),
                        f"Đã thêm «{name.strip().lower()}», vai trò {ROLES[role]}.")

with change:
    chosen = st.selectbox("Người dùng", users["name"].tolist(), key="user_chosen")
    if chosen:
        row = users.set_index("name").loc[chosen]
        left, right = st.columns(2)
        with left:
            new_role = st.radio("Vai trò", list(ROLES), index=list(ROLES).index(row["role"]), format_func=ROLES.get,
                                key="user_role", horizontal=True)
            if st.button("Lưu vai trò", key="save_role", disabled=new_role == row["role"]):
                ui.attempt(lambda: door.set_role(chosen, new_role), f"«{chosen}» từ nay có vai trò {ROLES[new_role]}.")
            if row["disabled"]:
                if st.button("Mở khoá tài khoản", key="enable_user", icon=":material/lock_open:"):
                    ui.attempt(lambda: door.set_disabled(chosen, False), f"Đã mở khoá «{chosen}».")
            elif st.button("Khoá tài khoản", key="disable_user", icon=":material/lock:"):
                ui.attempt(lambda: door.set_disabled(chosen, True), f"Đã khoá «{chosen}»: không đăng nhập được nữa.")
        with right, st.form("reset_password", clear_on_submit=True):
            password = st.text_input("Mật khẩu mới", type="password")
            again = st.text_input("Nhập lại mật khẩu mới", type="password")
            if st.form_submit_button("Đặt mật khẩu"):
                if password != again:
                    st.error("Hai lần nhập mật khẩu không giống nhau.", icon=":material/error:")
                else:
                    ui.attempt(lambda: door.set_password(chosen, password), f"Đã đặt mật khẩu mới cho «{chosen}».")

with options:
    current = ui.facts()["settings"]
    chosen_settings = {key: st.toggle(label, value=current[key], key=f"setting_{key}")
                       for key, (label, _) in SETTINGS.items()}
    st.caption("Đăng nhập một lần: người dùng được nhận theo tên đăng nhập trùng địa chỉ email mà hệ thống đăng nhập "
               "của cơ quan đã xác thực. Cách nối ứng dụng với hệ thống đó: README, mục «Đăng nhập một lần».")
    changed = {k: v for k, v in chosen_settings.items() if v != current[k]}
    if st.button("Lưu cài đặt", key="save_settings", disabled=not changed):
        def save():
            for key, value in changed.items():
                door.set_setting(key, value)
        ui.attempt(save, "Đã lưu cài đặt.")
