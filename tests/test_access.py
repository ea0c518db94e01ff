"""Who may do what: logins, roles, the doorway's checks and the audit trail, on real database files,
with the app driven by AppTest and the CLI run as a user runs it."""
import io
import subprocess
import sys
import threading
import time

import duckdb
import pandas as pd
import openpyxl
import pytest

from conftest import PASSWORD, ROOT, USERS, app_test, download, figures, table, user
from kpi import plan, service, setup
from kpi.periods import Period
from kpi.service import Actor, Refused, Service
from kpi.store import Store
from sheets import bieu06, counts

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def march(online: int = 95) -> bytes:
    return bieu06([("II", "UBND các xã, thị trấn", [("UBND xã Mỹ Hương", counts(online, 100 - online)),
                                                     ("UBND xã Mỹ Tú", counts(80, 20))])])


@pytest.fixture
def office(tmp_path, monkeypatch):
    """A district's database (the shipped plan, one import of March 2024) with an admin, an uploader and
    a viewer. Its figures are real, so viewers must log in."""
    path = tmp_path / "kpi.duckdb"
    setup.initialise(Store(path), plan.SHIPPED_PLAN)
    for role in ("admin", "uploader", "viewer"):
        user(path, role)
    uploader = Service(path, Actor(USERS["uploader"], "uploader"))
    uploader.commit(uploader.prepare("t3.xlsx", march()), (2024, 3))
    monkeypatch.setenv("KPI_DB", str(path))
    return path


def state(path) -> tuple:
    """What a forbidden write would change: imports undone, definitions, targets, units."""
    with duckdb.connect(str(path), read_only=True) as con:
        return tuple(con.execute(sql).fetchall() for sql in (
            "SELECT import_id, undone_at FROM imports ORDER BY 1", "SELECT * FROM plan_definitions ORDER BY ALL",
            "SELECT * FROM plan_targets ORDER BY ALL", "SELECT name, group_name FROM units ORDER BY ALL"))


def texts(at) -> list[str]:
    return [e.value for kind in ("title", "markdown", "caption", "error", "info", "success") for e in at.get(kind)]


def test_someone_not_logged_in_gets_the_login_form_on_every_page(office):
    at = app_test(role=None, period="2024-03")
    assert not at.exception and at.text_input(key="login_name") and not figures(at)
    for page in ("views/ranking.py", "views/imports.py", "views/targets.py", "views/users.py", "views/audit.py"):
        at.switch_page(page).run()
        assert not at.exception
        assert at.text_input(key="login_name").label == "Tên đăng nhập", page
        assert not at.file_uploader and not at.data_editor and not at.dataframe, page


def test_a_viewer_sees_figures_but_no_upload_undo_or_plan_editing(office):
    at = app_test(role="viewer", period="2024-03")
    assert not at.exception and at.metric[0].value == "87,50%"  # (95 + 80) / 200 online in March
    at.switch_page("views/imports.py").run()
    assert ("Trang «Nhập dữ liệu» dành cho vai trò Nhập liệu; tài khoản nguoixem có vai trò Xem. Hãy nhờ quản trị "
            "viên nếu bạn cần trang này.") in texts(at)
    assert not at.file_uploader and not [b for b in at.button if b.key == "undo"]
    at.switch_page("views/targets.py").run()
    assert "dành cho vai trò Quản trị" in at.error[0].value and not at.data_editor

    before = state(office)
    viewer = Service(office, Actor(USERS["viewer"], "viewer"))
    for write in (lambda: viewer.undo_import(1), lambda: viewer.set_definition(1, "online", "with_carried"),
                  lambda: viewer.prepare("t3.xlsx", march()), lambda: viewer.add_unit("Xã Mới", "Một cửa cấp xã"),
                  lambda: viewer.set_role(USERS["viewer"], "admin")):
        with pytest.raises(Refused, match="nguoixem \\(Xem\\) không được làm việc này"):
            write()
    with pytest.raises(Refused, match="«Hoàn tác lần nhập» cần vai trò Nhập liệu; khách"):
        Service(office).undo_import(1)  # nobody logged in
    assert state(office) == before


def test_an_uploader_imports_and_undoes_but_cannot_edit_targets(office):
    at = app_test(role="uploader")
    at.switch_page("views/imports.py").run()
    at.file_uploader[0].set_value(("t4.xlsx", march(90), XLSX)).run()
    at.selectbox(key="import_month").set_value(4).run()
    at.button(key="confirm").click().run()
    assert not at.exception and at.success[0].value.startswith("Đã nhập t4.xlsx: tháng 4/2024, 2 đơn vị")
    assert Store(office).months() == [(2024, 3), (2024, 4)]
    at.switch_page("views/targets.py").run()
    assert "dành cho vai trò Quản trị" in at.error[0].value and not at.data_editor
    uploader = Service(office, Actor(USERS["uploader"], "uploader"))
    with pytest.raises(Refused, match="«Sửa chỉ tiêu» cần vai trò Quản trị"):
        uploader.set_targets(1, uploader.plan(2024).targets)


def test_an_admin_edits_targets_and_imports(office):
    at = app_test(role="admin")
    at.switch_page("views/targets.py").run()
    assert not at.exception and at.data_editor(key="targets_editor")
    at.switch_page("views/imports.py").run()
    assert at.file_uploader[0].proto.max_upload_size_mb == 20  # the importer's own cap, said by the uploader
    at.switch_page("views/users.py").run()
    shown = table(at, "Tên đăng nhập")
    assert shown["Vai trò"].tolist() == ["Xem", "Nhập liệu", "Quản trị"]  # nguoixem, nhaplieu, quantri


def test_the_overview_made_while_the_login_form_is_shown_is_the_one_shown_after_it(office, monkeypatch):
    from kpi import scorecard

    made = []
    build = scorecard.build
    monkeypatch.setattr(scorecard, "build", lambda store, period, *a, **k: made.append(period) or build(
        store, period, *a, **k))
    at = app_test(role=None)
    for ahead in [t for t in threading.enumerate() if t.name == "overview-ahead"]:
        ahead.join(30)
    assert Period(2024, 3) in made  # the latest month, made while the name and password are typed
    before = len(made)
    at.text_input(key="login_name").input(USERS["viewer"])
    at.text_input(key="login_password").input(PASSWORD)
    at.button(key="login_submit").click().run()
    assert not at.exception and at.metric[0].value and "Xin chào" in at.toast[0].value
    assert len(made) == before  # logging in changed no figure: nothing was made twice


def test_a_wrong_password_is_refused_and_repeated_ones_slowed(office, monkeypatch):
    at = app_test(role=None)
    at.text_input(key="login_name").input("quantri")
    at.text_input(key="login_password").input("sai-mat-khau")
    at.button(key="login_submit").click().run()
    assert at.error[0].value == "Sai tên đăng nhập hoặc mật khẩu." and "user" not in at.session_state

    now = [time.time()]
    monkeypatch.setattr(service, "clock", lambda: now[0])
    door = Service(office)
    for _ in range(2):  # three wrong in a row in all
        with pytest.raises(Refused, match="Sai tên"):
            door.login("quantri", "sai-mat-khau", "10.0.0.7")
    with pytest.raises(Refused, match="thử lại sau 2 giây"):  # even the right password waits
        door.login("quantri", PASSWORD, "10.0.0.8")
    now[0] += 2.5
    with pytest.raises(Refused, match="Sai tên"):
        door.login("quantri", "sai-mat-khau", "10.0.0.8")
    with pytest.raises(Refused, match="thử lại sau 4 giây"):
        door.login("quantri", PASSWORD, "10.0.0.9")
    now[0] += 4.5
    assert door.login("quantri", PASSWORD, "10.0.0.9") == Actor("quantri", "admin", "10.0.0.9")
    # one client guessing across names is slowed too, whatever name it tries next
    for name in ("nhaplieu", "nguoixem", "khongco"):
        with pytest.raises(Refused, match="Sai tên"):
            door.login(name, "sai-mat-khau", "10.0.0.66")
    with pytest.raises(Refused, match="thử lại sau 2 giây"):
        door.login("quantri", PASSWORD, "10.0.0.66")
    assert [service.wait_after(n) for n in (1, 2, 3, 4, 5, 11, 50)] == [0, 0, 2, 4, 8, 300, 300]
    failed = Service(office, service.console()).audit(actions=["login.failed"])
    assert failed["subject"].tolist()[1:3] == ["nguoixem", "nhaplieu"] and failed["actor"].isna().all()
    assert pd.isna(failed["subject"].iloc[0]) and failed["after"].iloc[0] == '{"known": false}'  # what was typed: not kept


def test_a_disabled_user_cannot_log_in_and_is_logged_out(office):
    at = app_test(role="uploader")
    at.switch_page("views/imports.py").run()
    assert at.file_uploader
    Service(office, service.console()).set_disabled(USERS["uploader"])
    with pytest.raises(Refused, match="Tài khoản «nhaplieu» đã bị khoá"):
        Service(office).login(USERS["uploader"], PASSWORD)
    at.run()  # the next step of a session already open
    assert at.text_input(key="login_name") and not at.file_uploader
    with pytest.raises(Refused, match="quản trị viên cuối cùng"):  # the last admin is never locked out
        Service(office, service.console()).set_disabled(USERS["admin"])


def test_no_password_or_hash_reaches_the_ui_the_output_or_an_export(office, served, cli_env):
    secret = "Bi-mat-cua-chu-tich-2024"
    env = dict(cli_env, KPI_DB=str(office))
    added = subprocess.run([sys.executable, "-m", "kpi", "user", "add", "chutich", "--role", "viewer"], cwd=ROOT,
                           env=env, input=secret + "\n", capture_output=True, text=True)
    assert added.returncode == 0 and added.stdout.strip() == "Đã thêm «chutich», vai trò Xem."
    listed = subprocess.run([sys.executable, "-m", "kpi", "user", "list"], cwd=ROOT, env=env, capture_output=True,
                            text=True)
    assert "chutich" in listed.stdout
    for output in (added.stdout, added.stderr, listed.stdout, listed.stderr):
        assert secret not in output and "$argon2" not in output
    assert Service(office).login("chutich", secret).role == "viewer"

    with duckdb.connect(str(office), read_only=True) as con:
        hashes = [h for (h,) in con.execute("SELECT password_hash FROM users").fetchall()]
        trail = str(con.execute("SELECT * FROM audit").fetchall())
    assert len(hashes) == 4 and all(h.startswith("$argon2id$v=19$") for h in hashes)
    assert secret not in trail and PASSWORD not in trail and "$argon2" not in trail
    raw = office.read_bytes() + (office.with_name(office.name + ".wal").read_bytes()
                                 if office.with_name(office.name + ".wal").exists() else b"")
    assert secret.encode() not in raw and PASSWORD.encode() not in raw

    at = app_test(role="admin")
    for page in ("views/users.py", "views/account.py", "views/audit.py"):  # the audit last, for its export
        at.switch_page(page).run()
        shown = " ".join(texts(at)) + " ".join(d.value.to_string() for d in at.dataframe)
        assert "$argon2" not in shown and secret not in shown and PASSWORD not in shown, page
    book = openpyxl.load_workbook(io.BytesIO(download(at, "Tải nhật ký (.xlsx)", served)))
    cells = " ".join(str(c.value) for row in book.active.iter_rows() for c in row)
    assert "Thêm người dùng" in cells and "chutich" in cells
    assert book.active.page_setup.orientation == "landscape" and book.active.page_setup.fitToWidth == 1
    assert "$argon2" not in cells and secret not in cells


def test_the_audit_trail_names_who_edited_a_target_imported_and_undid(office):
    admin = app_test(role="admin", period="2024-03")
    admin.switch_page("views/targets.py").run()
    editor = admin.data_editor(key="targets_editor").value
    row = int(editor.index[editor["subject"] == "Phòng Tư pháp"][0])
    admin.session_state["targets_editor"] = {"edited_rows": {row: {"online": "Tối thiểu 90%"}}, "added_rows": [],
                                             "deleted_rows": []}
    admin.run()
    admin.button(key="save_targets").click().run()
    assert admin.success[0].value.startswith("Đã lưu")

    uploader = app_test(role="uploader")
    uploader.switch_page("views/imports.py").run()
    uploader.file_uploader[0].set_value(("t4.xlsx", march(70), XLSX)).run()
    uploader.selectbox(key="import_month").set_value(4).run()
    uploader.button(key="confirm").click().run()
    assert uploader.success[0].value.startswith("Đã nhập t4.xlsx")
    uploader.selectbox(key="undo_id").set_value(2).run()
    uploader.button(key="undo").click().run()
    uploader.button(key="undo_confirm").click().run()
    assert uploader.success[0].value.startswith("Đã hoàn tác lần nhập số 2")

    admin.switch_page("views/audit.py").run()
    trail = table(admin, "Việc")
    assert trail[["Người thực hiện", "Vai trò", "Việc", "Đối tượng"]].head(4).values.tolist() == [
        ["nhaplieu", "Nhập liệu", "Hoàn tác lần nhập", "2"],
        ["nhaplieu", "Nhập liệu", "Nhập dữ liệu", "t4.xlsx"],
        ["quantri", "Quản trị", "Sửa chỉ tiêu", "Kế hoạch 64/KH-UBND năm 2024"],
        ["nhaplieu", "Nhập liệu", "Nhập dữ liệu", "t3.xlsx"],
    ]
    edit = trail.iloc[2]  # only the target that changed, in words
    assert (edit["Trước"], edit["Sau"]) == ("Phòng Tư pháp · Trực tuyến: Trên 90", "Phòng Tư pháp · Trực tuyến: Tối thiểu 90%")
    assert trail.iloc[1]["Sau"].startswith("lần nhập số: 2; tháng: 2024-04; đơn vị: 2; dòng: 2; thay thế: 0")
    admin.multiselect(key="audit_actions").set_value(["Hoàn tác lần nhập"]).run()
    assert table(admin, "Việc")["Việc"].tolist() == ["Hoàn tác lần nhập"]
    # spans named in Vietnamese (Streamlit's calendar names its months in English); everything was today
    assert admin.selectbox(key="audit_span").options[:3] == ["Hôm nay", "7 ngày qua", "30 ngày qua"]
    admin.selectbox(key="audit_span").set_value("Hôm nay").run()
    assert table(admin, "Việc")["Việc"].tolist() == ["Hoàn tác lần nhập"]
    admin.multiselect(key="audit_actions").set_value([])
    admin.selectbox(key="audit_span").set_value("Từ đầu").run()
    assert len(table(admin, "Việc")) == len(trail)


def test_twenty_threads_read_through_the_doorway_while_another_process_imports(office, tmp_path, cli_env):
    files = []
    for month in range(4, 10):
        path = tmp_path / f"t{month}.xlsx"
        path.write_bytes(march(60 + month))
        files.append((path, f"2024-{month:02d}"))
    script = "\n".join(f"import_ok = main(['import', {str(p)!r}, '--period', {m!r}]) == 0 or exit(1)"
                       for p, m in files)
    writer = subprocess.Popen([sys.executable, "-c", f"from kpi.__main__ import main\n{script}"], cwd=ROOT,
                              env=dict(cli_env, KPI_DB=str(office)), stderr=subprocess.PIPE, text=True)
    errors, reads = [], [0]

    def read():
        door = Service(office)
        while writer.poll() is None:
            try:
                months = door.facts()["months"]
                card = door.scorecard(Period(*months[-1]))
                assert card.units["unit"].nunique() >= 2
                reads[0] += 1
            except Exception as error:  # noqa: BLE001 - any failure is what the test looks for
                errors.append(repr(error))

    threads = [threading.Thread(target=read) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert writer.wait(timeout=60) == 0, writer.stderr.read()
    assert errors == [] and reads[0] >= 20
    assert Store(office).months() == [(2024, m) for m in range(3, 10)]
    assert Store(office).imports()["imported_by"].tolist() == [service.console().name] * 6 + [USERS["uploader"]]


def test_single_sign_on_maps_the_vouched_identity_to_its_user(office):
    Service(office, service.console()).add_user("chu.tich@gialai.gov.vn", "viewer", None)  # sign-on only
    at = app_test(role=None, period="2024-03")
    at.user = {"email": "chu.tich@gialai.gov.vn", "is_logged_in": True}  # what st.login or the proxy's headers give
    at.run()
    assert at.text_input(key="login_name") and not figures(at)  # single sign-on is off by default
    Service(office, service.console()).set_setting("sso", True)
    at.run()
    assert at.metric[0].value == "87,50%" and "Đăng nhập: **chu.tich@gialai.gov.vn** · Xem" in texts(at)
    at.switch_page("views/imports.py").run()
    assert "dành cho vai trò Nhập liệu" in at.error[0].value
    at.user = {"email": "nguoi.la@example.com", "is_logged_in": True}  # vouched for, but not a user here
    at.switch_page("views/overview.py").run()
    assert at.text_input(key="login_name") and not figures(at)
    with pytest.raises(Refused, match="Sai tên"):  # no password: only the sign-on lets this user in
        Service(office).login("chu.tich@gialai.gov.vn", "")


def test_the_cli_manages_users_without_a_password_on_its_command_line(office, cli_env):
    env = dict(cli_env, KPI_DB=str(office))

    def kpi(*args, given=None):
        return subprocess.run([sys.executable, "-m", "kpi", *args], cwd=ROOT, env=env, input=given,
                              capture_output=True, text=True)

    assert kpi("user", "add", "nguyen.van.b", "--role", "uploader", given="ngan\n").stderr.strip() == \
        "Lỗi: Mật khẩu cần ít nhất 8 ký tự."
    assert kpi("user", "add", "Nguyen.Van.B", "--role", "uploader", given="du-dai-roi\n").returncode == 0
    assert Service(office).login("nguyen.van.b", "du-dai-roi").role == "uploader"
    assert kpi("user", "passwd", "nguyen.van.b", given="mat-khau-moi\n").returncode == 0
    assert Service(office).login("nguyen.van.b", "mat-khau-moi").role == "uploader"
    assert kpi("user", "role", "nguyen.van.b", "admin").stdout.strip() == "«nguyen.van.b» từ nay có vai trò Quản trị."
    assert kpi("user", "disable", "nguyen.van.b").stdout.strip() == "Đã khoá tài khoản «nguyen.van.b»."
    listed = kpi("user", "list").stdout.splitlines()
    assert [line.split() for line in listed[1:3]] == [["nguoixem", "Xem", "hoạt", "động", "mật", "khẩu"],
                                                      ["nguyen.van.b", "Quản", "trị", "đã", "khoá", "mật", "khẩu"]]
    assert kpi("user", "add", "x y", "--role", "viewer", given="du-dai-roi\n").stderr.startswith(
        "Lỗi: Tên đăng nhập «x y» không hợp lệ")
    assert kpi("setting", "login_required", "off").stdout.startswith("login_required = off")
    trail = Service(office, service.console()).audit()
    assert trail["action"].iloc[0] == "setting" and trail["after"].iloc[0] == '{"login_required": false}'
    mine = trail[trail["subject"] == "nguyen.van.b"]["action"].tolist()
    assert mine == ["user.disable", "user.role", "login", "user.password", "login", "user.add"]
    assert (trail[trail["subject"] == "nguyen.van.b"]["client"] == "dòng lệnh").sum() == 4


def test_the_first_real_import_closes_the_sample_to_visitors(tmp_path, monkeypatch):
    path = tmp_path / "kpi.duckdb"
    Service(path).ensure()  # the app's first start: the sample, open to all
    assert Service(path).settings()["login_required"] is False
    user(path, "uploader")
    uploader = Service(path, Actor(USERS["uploader"], "uploader"))
    uploader.commit(uploader.prepare("t3.xlsx", march()), (2025, 3), new_units={}, replace=True)
    assert Service(path).settings() == {"login_required": True, "sso": False}
    monkeypatch.setenv("KPI_DB", str(path))
    at = app_test(role=None)
    assert at.text_input(key="login_name") and not figures(at)


def test_the_first_admin_is_made_on_the_server_only(tmp_path):
    path = tmp_path / "kpi.duckdb"
    setup.initialise(Store(path), plan.SHIPPED_PLAN)
    with pytest.raises(Refused, match="chỉ tạo được trên chính máy chủ"):
        Service(path, Actor(client="10.1.2.3")).add_user("ke.la", "admin", "mat-khau-dai")
    with pytest.raises(Refused, match="Người dùng đầu tiên phải có vai trò Quản trị"):
        Service(path, Actor(client="127.0.0.1")).add_user("ke.la", "viewer", "mat-khau-dai")
    assert Service(path, Actor(client="127.0.0.1")).add_user("quantri", "admin", "mat-khau-dai") == "quantri"
    with pytest.raises(Refused, match="«Thêm người dùng» cần vai trò Quản trị; khách"):  # once there is one
        Service(path, Actor(client="127.0.0.1")).add_user("ke.la", "admin", "mat-khau-dai")
    trail = Service(path, service.console()).audit()
    assert trail[["actor", "action", "subject"]].values.tolist() == [["quantri", "user.add", "quantri"]]


def test_guesses_sent_at_once_are_all_counted(office):
    door = Service(office)
    results = []

    def guess(i):
        try:
            door.login(" QuanTri ", f"doan-sai-{i}", f"10.9.0.{i}")
            results.append("in")
        except Refused as error:
            results.append(str(error))

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(30)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    checked = results.count("Sai tên đăng nhập hoặc mật khẩu.")
    assert "in" not in results and checked <= 3 and len(results) == 30  # the rest were told to wait
    assert Store(office).user("quantri")["failed"] == checked


def test_a_user_changes_their_own_password_with_the_current_one(office):
    own = Service(office, Actor(USERS["viewer"], "viewer"))
    with pytest.raises(Refused, match="Mật khẩu hiện tại không đúng."):
        own.set_password(USERS["viewer"], "mat-khau-moi-1", "khong-phai")
    own.set_password(USERS["viewer"], "mat-khau-moi-1", PASSWORD)
    assert Service(office).login(USERS["viewer"], "mat-khau-moi-1").role == "viewer"
    with pytest.raises(Refused, match="«Đặt mật khẩu» cần vai trò Quản trị"):
        own.set_password(USERS["admin"], "mat-khau-moi-2")
    Service(office, service.console()).add_user("sso@so.gov.vn", "viewer", None)
    with pytest.raises(Refused, match="đăng nhập một lần qua hệ thống của cơ quan"):
        Service(office, Actor("sso@so.gov.vn", "viewer")).set_password("sso@so.gov.vn", "mat-khau-moi-3", "")


def test_an_unknown_name_costs_a_hash_check_as_a_known_one_does():
    """The stand-in hash an unknown name is checked against is written in the code, not made at start: it must
    carry the hasher's own parameters, else a login for a name that does not exist would answer sooner."""
    assert not service._hasher.check_needs_rehash(service._DUMMY_HASH)
    assert not service._verifies(service._DUMMY_HASH, "not a guess")
