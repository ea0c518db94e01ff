"""dvc-kpi: the Streamlit app. `streamlit run app.py` opens on the sample data the first time; a
database without an area opens on its set-up. The menu shows what the user's role opens; a page
reached by its address without the role asks for a login or says who may open it."""
import logging

import streamlit as st

from kpi import memory

memory.hand_back()  # once per server, before the first large array

from views import auth, ui  # noqa: E402

st.set_page_config(page_title="Chỉ số dịch vụ công trực tuyến", page_icon=":material/monitoring:", layout="wide")


def run() -> None:
    ui.new_run()
    ui.chrome()
    known, me = ui.facts(), ui.actor()
    viewing = "viewer" if known["settings"]["login_required"] else None  # whether reading figures needs a login

    def seen(needs: str | None) -> str:
        """In the menu when the user's role opens the page; reached by its address, it is gated below."""
        return "visible" if me.may(needs) else "hidden"

    setup = st.Page("views/setup.py", title="Thiết lập", icon=":material/settings:", url_path="setup",
                    visibility=seen("admin"))
    login = st.Page("views/login.py", title="Đăng nhập", icon=":material/login:", url_path="login",
                    visibility="hidden" if me.name else "visible")
    overview = st.Page("views/overview.py", title="Tổng quan", icon=":material/dashboard:", default=True,
                       visibility=seen(viewing))
    menu = {  # section -> [(page, the role that opens it)]
        "Theo dõi": [
            (overview, viewing),
            (st.Page("views/ranking.py", title="Xếp hạng", icon=":material/leaderboard:",
                     visibility=seen(viewing)), viewing),
            (st.Page("views/unit.py", title="Đơn vị", icon=":material/apartment:", visibility=seen(viewing)), viewing),
            (st.Page("views/report.py", title="Báo cáo", icon=":material/summarize:", visibility=seen(viewing)),
             viewing),
            (st.Page("views/present.py", title="Trình chiếu", icon=":material/slideshow:", visibility=seen(viewing)),
             viewing),
        ],
        "Quản lý": [
            (st.Page("views/imports.py", title="Nhập dữ liệu", icon=":material/upload_file:",
                     visibility=seen("uploader")), "uploader"),
            (st.Page("views/targets.py", title="Chỉ tiêu", icon=":material/target:", visibility=seen("admin")),
             "admin"),
            (st.Page("views/units.py", title="Danh sách đơn vị", icon=":material/list_alt:", visibility=seen("admin")),
             "admin"),
            (st.Page("views/users.py", title="Người dùng", icon=":material/group:", visibility=seen("admin")), "admin"),
            (st.Page("views/audit.py", title="Nhật ký", icon=":material/history:", visibility=seen("admin")), "admin"),
            (setup, "admin"),
        ],
        "Tài khoản": [
            (st.Page("views/account.py", title="Tài khoản", icon=":material/account_circle:",
                     visibility=seen("viewer")), "viewer"),
            (login, None),
        ],
    }
    if not known["area"]["name"]:  # an empty database: its area and plan come first
        menu = {"": [(setup, "admin"), (login, None)]}

    page = st.navigation({section: [p for p, _ in pages] for section, pages in menu.items()})
    if target := st.session_state.pop("go", None):  # where a step leads next (the set-up done)
        st.switch_page(target)
    if page.url_path == login.url_path and me.name:  # logged in: on to the figures, or to the set-up
        st.switch_page(overview if known["area"]["name"] else setup)
    needs = next(needs for pages in menu.values() for p, needs in pages if p.url_path == page.url_path)
    if known["area"]["name"] and me.may(needs):
        ui.frame()  # the sidebar (area, period, the plan that judges it), shared by every page
    else:
        ui.flash()
    auth.account()  # who is logged in, last in the sidebar
    auth.gate(page, needs)
    with ui.writes_waiting():
        page.run()


try:
    run()
except Exception as error:  # Streamlit's stop and rerun are not Exceptions: they pass through
    logging.getLogger("dvc-kpi").exception("page failed")  # the details stay in the server's log
    ui.failed(error)
