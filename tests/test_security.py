"""What the server shows about itself: the project's Streamlit settings, and no traceback on a page."""
import tomllib

import streamlit as st

from conftest import ROOT, app_test
from kpi import ingest, scorecard
from views import ui
from wsclient import Client, serve

CONFIG = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))


def test_the_settings_hide_the_developer_surface():
    assert CONFIG["server"]["address"] == "127.0.0.1"  # a reverse proxy serves the office network
    assert CONFIG["server"]["maxUploadSize"] == ui.UPLOAD_MB == ingest.Limits().max_bytes // 1048576 == 20
    assert CONFIG["server"]["enableXsrfProtection"] is True
    assert CONFIG["client"] == {"toolbarMode": "viewer", "showErrorDetails": "none"}


def test_the_running_server_uses_them(demo_db):
    with serve(demo_db) as url, Client(url) as client:
        assert client.xsrf  # the XSRF cookie is only set with protection on
        shown = client.run("")
        assert not shown.exceptions and "Tổng quan" in shown.texts


SAID = ui.failed  # what users see in place of a failing page (tests otherwise make pages raise)


def test_an_unreadable_database_is_said_in_vietnamese(tmp_path, monkeypatch):
    monkeypatch.setattr(ui, "failed", SAID)
    path = tmp_path / "kpi.duckdb"
    path.write_bytes(b"this is not a database" * 100)
    monkeypatch.setenv("KPI_DB", str(path))
    at = app_test(role=None)
    assert not at.exception
    assert at.error[0].value == ui.plain(f"Không mở được cơ sở dữ liệu {path}: tệp không phải cơ sở dữ liệu của ứng "
                                         "dụng, hoặc đã hỏng. Hãy chép lại tệp từ bản sao lưu gần nhất, hoặc chỉ ứng "
                                         "dụng tới đúng tệp (biến KPI_DB, hay --db ở dòng lệnh), rồi tải lại trang.")


def test_a_failing_page_says_so_without_a_traceback(demo_env, monkeypatch):
    def broken(*args, **kwargs):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(scorecard, "build", broken)
    monkeypatch.setattr(ui, "failed", SAID)
    st.cache_data.clear()  # figures cached by an earlier test of this database would hide the bug
    st.cache_resource.clear()  # and so would its cards, kept across logins and app starts
    at = app_test(period="2024-06")
    assert not at.exception
    assert at.error[0].value.startswith("Trang này gặp lỗi ngoài dự kiến nên chưa hiển thị được")
    assert "ZeroDivisionError" not in at.error[0].value and "Traceback" not in str(at)


def test_the_office_proxy_keeps_the_server_inside():
    proxy = (ROOT / "deploy" / "nginx.conf").read_text(encoding="utf-8")
    assert "location = /_stcore/metrics { deny all; }" in proxy
    assert f"proxy_pass http://{CONFIG['server']['address']}:8501;" in proxy and "listen 443 ssl;" in proxy
    assert "client_max_body_size 21m;" in proxy  # the upload cap, with room for the request's own bytes
