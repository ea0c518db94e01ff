"""Tài khoản: who is logged in, their role, a new password, and the way out."""
import streamlit as st

from views import auth, ui
from views.ui import ROLES, StoreError

me = ui.actor()
st.title("Tài khoản")
st.markdown(f"Tên đăng nhập: **{me.name}** · vai trò: **{ROLES[me.role]}**")
st.caption({"viewer": "Xem số liệu, xếp hạng, báo cáo và trình chiếu.",
            "uploader": "Xem, nhập báo cáo tháng, thay thế và hoàn tác các lần nhập.",
            "admin": "Mọi việc: số liệu, kế hoạch và chỉ tiêu, đơn vị, người dùng, cài đặt."}[me.role])

if ui.doorway().has_password(me.name):
    st.subheader("Đổi mật khẩu")
    with st.form("own_password", clear_on_submit=True):
        current = st.text_input("Mật khẩu hiện tại", type="password")
        password = st.text_input("Mật khẩu mới (ít nhất 8 ký tự)", type="password")
        again = st.text_input("Nhập lại mật khẩu mới", type="password")
        if st.form_submit_button("Đổi mật khẩu"):
            if password != again:
                st.error("Hai lần nhập mật khẩu mới không giống nhau.", icon=":material/error:")
            else:
                try:
                    ui.doorway().set_password(me.name, password, current)
                except StoreError as error:
                    ui.error(error)
                else:
                    ui.written("Đã đổi mật khẩu.")
else:
    st.caption("Tài khoản này đăng nhập một lần qua hệ thống của cơ quan, không dùng mật khẩu.")
if auth.can_log_out():
    st.button("Đăng xuất", key="logout_here", icon=":material/logout:", on_click=auth.logout)
