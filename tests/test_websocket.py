"""The running app against a script that speaks Streamlit's websocket protocol (tests/wsclient.py),
as a hostile tester's would: without a login, or as a viewer, replaying the real widget ids of an
admin's session, it cannot import, undo or change a definition. The admin's session, sending the
same messages, can: the crafted messages are not simply ignored."""
import duckdb
import pytest

from conftest import PASSWORD, USERS, user
from kpi import plan, setup
from kpi.service import Actor, Service
from kpi.store import Store
from sheets import bieu06, counts
from wsclient import Client, serve


@pytest.fixture
def office(tmp_path):
    path = tmp_path / "kpi.duckdb"
    setup.initialise(Store(path), plan.SHIPPED_PLAN)
    for role in ("admin", "viewer"):
        user(path, role)
    admin = Service(path, Actor(USERS["admin"], "admin"))
    admin.commit(admin.prepare("t3.xlsx", bieu06([("I", "x", [("Phòng Tư pháp", counts(45, 5))])])), (2024, 3))
    return path


def log_in(client: Client, name: str) -> None:
    form = client.run("login")
    done = client.run(None, widgets=[client.set(form.find("login_name"), name),
                                     client.set(form.find("login_password"), PASSWORD),
                                     client.trigger(form.find("login_submit"))])
    assert f"Đăng nhập: **{name}**" in " ".join(done.texts) or done.reruns, done.texts


def state(path) -> tuple:
    with duckdb.connect(str(path), read_only=True) as con:
        return tuple(con.execute(sql).fetchall() for sql in (
            "SELECT import_id, undone_at FROM imports", "SELECT * FROM plan_definitions ORDER BY ALL",
            "SELECT action FROM audit WHERE action NOT LIKE 'login%' ORDER BY audit_id"))


def test_a_script_without_the_role_cannot_import_undo_or_redefine(office):
    log = []
    with serve(office, log_lines=log) as url:
        with Client(url) as admin:  # the real widget ids, as an admin's browser sees them
            log_in(admin, USERS["admin"])
            imports = admin.run("imports")
            undo, undo_choice = imports.find("undo"), imports.find("undo_id")
            choice = imports.protos[undo_choice].options[0]
            asked = admin.run(None, widgets=[admin.set(undo_choice, choice), admin.trigger(undo)])
            confirm = asked.find("undo_confirm")
            admin.run(None, widgets=[admin.set(undo_choice, choice), admin.trigger(asked.find("undo_cancel"))])
            assert "file_uploader" in [w.type for w in imports.widgets]
            targets = admin.run("targets")
            variant = targets.find("variant_online_2024")
            other = [o for o in targets.protos[variant].options if o != targets.protos[variant].options[
                targets.protos[variant].default]][0]
            changed = admin.run(None, widgets=[admin.set(variant, other)])
            save = changed.find("save_definitions")
            admin.run("targets")  # leave the radio as it was
            before = state(office)

            for who in (None, USERS["viewer"]):
                with Client(url) as hostile:
                    if who:
                        log_in(hostile, who)
                    shown = hostile.run("imports")
                    assert "file_uploader" not in [w.type for w in shown.widgets] and not shown.exceptions
                    assert ("Hãy đăng nhập để xem trang này." if who is None else "dành cho vai trò Nhập liệu") in \
                        " ".join(shown.texts)
                    hostile.run(None, widgets=[hostile.set(undo_choice, choice), hostile.trigger(undo)])
                    hostile.run(None, widgets=[hostile.set(undo_choice, choice), hostile.trigger(confirm)])
                    hostile.run("targets")
                    hostile.run(None, widgets=[hostile.set(variant, other), hostile.trigger(save)])
                    hostile.run(None, page_hash=admin.pages["imports"],
                                widgets=[hostile.set(undo_choice, choice), hostile.trigger(confirm)])
                assert state(office) == before, who

            admin.run("imports")  # the same messages from the admin's own session do undo and redefine
            admin.run(None, widgets=[admin.set(undo_choice, choice), admin.trigger(undo)])
            admin.run(None, widgets=[admin.set(undo_choice, choice), admin.trigger(confirm)])
            admin.run("targets")
            admin.run(None, widgets=[admin.set(variant, other)])
            admin.run(None, widgets=[admin.set(variant, other), admin.trigger(save)])
    imports, definitions, actions = state(office)
    assert imports[0][1] is not None and actions[-2:] == [("undo",), ("definition",)]
    assert definitions != before[1]
    assert log and not [line for line in log if PASSWORD in line or "$argon2" in line]  # the server's own log
