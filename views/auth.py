"""Who uses the app: the login form (or the first administrator's), the sidebar's account lines and logout,
and the gate that stops a page a user's role does not open."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from kpi import service
from views.ui import ROLES, StoreError, actor, client, doorway, error_box, facts, warm_overview, written

def account() -> None:
    """The sidebar's last lines: who is logged in, with a way out."""
    me = actor()
    if not me.name:  # the menu's «Đăng nhập» is the way in
        return
    with st.sidebar:
        st.divider()
        st.caption(f"Đăng nhập: **{me.name}** · {ROLES[me.role]}")
        if can_log_out():
            st.button("Đăng xuất", key="logout", icon=":material/logout:", on_click=logout)


def can_log_out() -> bool:
    """A login made here, or through st.login, ends here; one the office's proxy vouches for ends there."""
    return bool(st.session_state.get("user")) or bool(st.user.get("is_logged_in"))


def logout() -> None:
    st.session_state.pop("user", None)
    if st.user.get("is_logged_in"):  # the office's single sign-on (st.login)
        st.logout()


def login_form() -> None:
    """Log in; on a database without users, create its first administrator instead."""
    door = doorway()
    if not door.has_users() and client() not in service.LOCAL:
        st.info("Cơ sở dữ liệu chưa có tài khoản nào. Tài khoản quản trị đầu tiên chỉ tạo được trên chính máy chủ: "
                "`python -m kpi user add TÊN --role admin`, hoặc mở ứng dụng bằng trình duyệt trên máy chủ.",
                icon=":material/admin_panel_settings:")
        return
    if not door.has_users():
        st.info("Cơ sở dữ liệu chưa có tài khoản nào. Tạo tài khoản **quản trị** đầu tiên: người này thiết lập địa "
                "bàn, kế hoạch, và thêm tài khoản cho những người khác.", icon=":material/admin_panel_settings:")
        with st.form("first_admin", clear_on_submit=True):
            name = st.text_input("Tên đăng nhập", placeholder="ví dụ: quantri", key="first_name")
            password = st.text_input("Mật khẩu (ít nhất 8 ký tự)", type="password", key="first_password")
            again = st.text_input("Nhập lại mật khẩu", type="password", key="first_again")
            if st.form_submit_button("Tạo tài khoản quản trị", type="primary", key="first_submit"):
                if password != again:
                    st.error("Hai lần nhập mật khẩu không giống nhau.", icon=":material/error:")
                    return
                try:
                    created = door.add_user(name, "admin", password)
                except StoreError as error:
                    error_box(error)
                    return
                st.session_state["user"] = created
                written(f"Đã tạo tài khoản quản trị «{created}» và đăng nhập.")
        return
    with st.form("login", clear_on_submit=True):
        name = st.text_input("Tên đăng nhập", key="login_name")
        password = st.text_input("Mật khẩu", type="password", key="login_password")
        if st.form_submit_button("Đăng nhập", type="primary", key="login_submit"):
            try:
                me = door.login(name, password, client())
            except StoreError as error:
                error_box(error)
                return
            st.session_state["user"] = me.name
            written(f"Xin chào {me.name} ({ROLES[me.role]}).", kind="greeting")
    if _single_sign_on():
        st.button("Đăng nhập bằng tài khoản cơ quan", icon=":material/badge:", on_click=st.login)
    warm_overview()  # the figures the overview opens on, made while the name and password are typed (the form sent)
    _code_ahead()


def _code_ahead() -> None:
    """The overview's kinds of element, empty and hidden: the browser loads their code (5 MB, mostly the chart's)
    while the name and password are typed, not after the click. With the overview made meanwhile, its figures
    show 0,5 s after the click instead of 1,2–1,5 s."""
    with st.container(key="code_ahead"):
        st.metric("·", "·")
        st.table(pd.DataFrame({"·": ["·"]}))
        st.plotly_chart(go.Figure(), key="code_ahead_chart")


def _single_sign_on() -> bool:
    """Whether the office's sign-on (an [auth] section in .streamlit/secrets.toml) is set up and turned on."""
    try:
        configured = "auth" in st.secrets
    except Exception:  # no secrets file: Streamlit raises rather than answering False
        configured = False
    return configured and facts()["settings"]["sso"]


def gate(page, needs: str | None) -> None:
    """Stop a page the user's role does not open (reached by its address), saying why: a login
    form for someone not logged in."""
    me = actor()
    if me.may(needs):
        return
    st.title(page.title)
    if me.name:
        st.error(f"Trang «{page.title}» dành cho vai trò {ROLES[needs]}; tài khoản {me.name} có vai trò "
                 f"{ROLES[me.role]}. Hãy nhờ quản trị viên nếu bạn cần trang này.", icon=":material/block:")
    else:
        st.caption("Hãy đăng nhập để xem trang này.")
        login_form()
    st.stop()
