"""The running app in a real Chromium (Debian's package, driven by Playwright): upload a Biểu 06 on
"Nhập dữ liệu", open "Xếp hạng" for that month, find a unit below target with the dossiers it
still needs. A screenshot is kept in test-artifacts/."""
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from conftest import PASSWORD, ROOT, USERS, user
from kpi import plan, setup
from kpi.store import Store
from sheets import bieu06, counts

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = ROOT / "test-artifacts"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]

if not os.path.exists(CHROMIUM):
    if os.environ.get("CI"):
        pytest.fail("Chromium is missing: .ci/run installs the Debian packages chromium and chromium-driver",
                    pytrace=False)
    pytest.skip("Chromium is not installed here (apt-get install chromium chromium-driver)", allow_module_level=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def app(tmp_path):
    """`streamlit run app.py` on a new database holding the plan and no counts."""
    db = tmp_path / "kpi.duckdb"
    setup.initialise(Store(db), plan.SHIPPED_PLAN)
    user(db, "uploader")
    port = _free_port()
    env = dict(os.environ, KPI_DB=str(db), STREAMLIT_BROWSER_GATHER_USAGE_STATS="false")
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true", "--server.port", str(port),
         "--server.address", "127.0.0.1"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                break
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                raise RuntimeError("streamlit did not start: " + server.stdout.read().decode(errors="replace"))
            time.sleep(0.3)
    yield url, db
    server.terminate()
    server.wait(timeout=10)


def test_upload_then_ranking_shows_a_unit_below_target(app, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    url, db = app
    report = tmp_path / "bao-cao-thang-3-2024.xlsx"
    report.write_bytes(bieu06([
        ("I", "Cơ quan chuyên môn", [("Phòng Tư pháp", counts(45, 5)), ("Phòng Nội vụ", counts(10, 0))]),
        ("II", "UBND các xã, thị trấn", [("UBND xã Mỹ Hương", counts(37, 13)), ("UBND xã Phú Mỹ", counts(95, 5))]),
    ]))
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 2200}, locale="vi-VN")
        page.goto(f"{url}/imports", wait_until="networkidle")
        expect(page.get_by_role("heading", name="Nhập dữ liệu")).to_be_visible(timeout=30_000)
        expect(page.get_by_text("Hãy đăng nhập để xem trang này.")).to_be_visible(timeout=30_000)
        page.get_by_label("Tên đăng nhập").fill(USERS["uploader"])
        page.get_by_label("Mật khẩu").fill(PASSWORD)
        page.get_by_role("button", name="Đăng nhập").click()
        expect(page.get_by_text(f"Xin chào {USERS['uploader']} (Nhập liệu).")).to_be_visible(timeout=30_000)
        page.locator("input[type=file]").set_input_files(str(report))
        expect(page.get_by_text("Xem trước: tháng 3/2024")).to_be_visible(timeout=30_000)
        page.get_by_role("button", name="Xác nhận nhập").click()
        expect(page.get_by_text("Đã nhập bao-cao-thang-3-2024.xlsx: tháng 3/2024, 4 đơn vị")).to_be_visible(
            timeout=30_000)
        assert Store(db).months() == [(2024, 3)]

        page.get_by_role("link", name="Xếp hạng").click()  # a reload would be a new session, logged out
        expect(page.get_by_role("heading", name="Xếp hạng")).to_be_visible(timeout=30_000)
        below = page.locator("[data-testid='stTable']").first  # the units below target, a short table
        expect(below).to_contain_text("Xã Mỹ Hương", timeout=30_000)
        assert "Cần thêm (hồ sơ trực tuyến)" in below.locator("thead").inner_text()
        cells = lambda unit: [c.strip() for c in below.locator("tr", has_text=unit).inner_text().split("\t")]
        assert cells("Xã Mỹ Hương") == ["Xã Mỹ Hương", "74,00%", "Trên 90", "9"]
        assert cells("Phòng Tư pháp") == ["Phòng Tư pháp", "90,00%", "Trên 90", "1"]
        expect(page.get_by_text("2/4 đơn vị đạt chỉ tiêu")).to_be_visible()
        page.screenshot(path=str(ARTIFACTS / "xep-hang-thang-3-2024.png"), full_page=True)
        browser.close()
    assert (ARTIFACTS / "xep-hang-thang-3-2024.png").stat().st_size > 10_000


def test_a_hostile_unit_name_shows_as_plain_text_and_fetches_nothing(tmp_path):
    """A name stored before names were checked: an image link, a link and a right-to-left override. On the
    ranking page it reads as written (the override shown as �), and the browser asks nothing of its host."""
    import duckdb
    from playwright.sync_api import expect, sync_playwright

    from kpi.service import Actor, Service
    db = tmp_path / "kpi.duckdb"
    setup.initialise(Store(db), plan.SHIPPED_PLAN)
    user(db, "viewer")
    door = Service(db, Actor("quantri", "admin"))
    door.commit(door.prepare("t3.xlsx", bieu06([("I", "x", [("Phòng Tư pháp", counts(40, 10))])])), (2024, 3))
    evil = "![](http://evil.example/x.png)\u202e [bấm](http://evil.example/a) 2024"
    with duckdb.connect(str(db)) as con:
        con.execute("UPDATE units SET name = ? WHERE name = 'Phòng Tư pháp'", [evil])
        con.execute("UPDATE plan_targets SET subject = ? WHERE subject = 'Phòng Tư pháp'", [evil])
    port = _free_port()
    env = dict(os.environ, KPI_DB=str(db), STREAMLIT_BROWSER_GATHER_USAGE_STATS="false")
    server = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
                               "--server.port", str(port)], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                    break
            except OSError:
                time.sleep(0.5)
        asked = []
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1600}, locale="vi-VN")
            page.on("request", lambda request: asked.append(request.url))
            page.goto(f"{url}/ranking?period=2024-03", wait_until="networkidle")
            page.get_by_label("Tên đăng nhập").fill(USERS["viewer"])
            page.get_by_label("Mật khẩu").fill(PASSWORD)
            page.get_by_role("button", name="Đăng nhập").click()
            below = page.get_by_text("Chưa đạt: ![](http")
            expect(below).to_be_visible(timeout=30_000)
            assert "![](http:\u200b//evil.example/x.png)� [bấm](http:\u200b//evil.example/a) 2024 80,00% (chỉ tiêu " \
                   "Trên 90)" in below.inner_text()
            found = page.locator("a[href*='evil.example'], img[src*='evil.example']")
            assert found.count() == 0, [found.nth(i).evaluate("e => e.parentElement.parentElement.outerHTML.slice(0, 400)") for i in range(found.count())]
            page.screenshot(path=str(ARTIFACTS / "ten-don-vi-doc-hai.png"), full_page=True)
            browser.close()
        assert not [u for u in asked if "evil.example" in u]
    finally:
        server.terminate()
        server.wait(timeout=10)
