"""The running app in a real Chromium (Debian's package, driven by Playwright): upload a Biểu 06 on
"Nhập dữ liệu", open "Xếp hạng" for that month, find a unit below target with the dossiers it
still needs. A screenshot is kept in test-artifacts/."""
import contextlib
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


@contextlib.contextmanager
def _serving(db):
    """`streamlit run app.py` on `db`, until the block ends; its URL."""
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
    try:
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
def app(tmp_path):
    """`streamlit run app.py` on a new database holding the plan and no counts."""
    db = tmp_path / "kpi.duckdb"
    setup.initialise(Store(db), plan.SHIPPED_PLAN)
    user(db, "uploader")
    with _serving(db) as url:
        yield url, db


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
        said = page.locator("[data-testid='stFileUploader']").evaluate(  # Streamlit's words, replaced in Vietnamese
            "e => [...e.querySelectorAll('p, span')].map(x => getComputedStyle(x, '::after').content)"
            ".filter(c => c !== 'none')")
        assert said == ['"Chọn tệp"', '"hoặc kéo thả tệp vào đây · tối đa 20 MB"'], said
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
        def cells(unit):
            return [c.strip() for c in below.locator("tr", has_text=unit).inner_text().split("\t")]
        assert cells("Xã Mỹ Hương") == ["Xã Mỹ Hương", "74,00%", "Trên 90", "9"]
        assert cells("Phòng Tư pháp") == ["Phòng Tư pháp", "90,00%", "Trên 90", "1"]
        expect(page.get_by_text("2/4 đơn vị đạt chỉ tiêu")).to_be_visible()
        page.screenshot(path=str(ARTIFACTS / "xep-hang-thang-3-2024.png"), full_page=True)
        browser.close()
    assert (ARTIFACTS / "xep-hang-thang-3-2024.png").stat().st_size > 10_000


def test_a_hostile_unit_name_shows_as_plain_text_and_fetches_nothing(tmp_path):
    """A name stored before names were checked: an image link, a link and a right-to-left override. On the
    ranking page it reads as written (the override shown as �), and the browser asks nothing of its host."""
    from playwright.sync_api import expect, sync_playwright

    from kpi.service import Actor, Service
    db = tmp_path / "kpi.duckdb"
    setup.initialise(Store(db), plan.SHIPPED_PLAN)
    user(db, "viewer")
    door = Service(db, Actor("quantri", "admin"))
    door.commit(door.prepare("t3.xlsx", bieu06([("I", "x", [("Phòng Tư pháp", counts(40, 10))])])), (2024, 3))
    evil = "![](http://evil.example/x.png)\u202e [bấm](http://evil.example/a) 2024"
    with Store(db).transaction() as con:
        con.execute("UPDATE units SET name = ? WHERE name = 'Phòng Tư pháp'", [evil])
        con.execute("UPDATE plan_targets SET subject = ? WHERE subject = 'Phòng Tư pháp'", [evil])
    with _serving(db) as url:
        asked = []
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page(viewport={"width": 1400, "height": 1600}, locale="vi-VN")
            page.on("request", lambda request: asked.append(request.url))
            page.goto(f"{url}/ranking?period=2024-03", wait_until="networkidle")
            page.get_by_label("Tên đăng nhập").fill(USERS["viewer"])
            page.get_by_label("Mật khẩu").fill(PASSWORD)
            page.get_by_role("button", name="Đăng nhập").click()
            below = page.locator("[data-testid='stTable']").first  # the units below target
            expect(below).to_contain_text("evil.example", timeout=30_000)
            cells = [c.strip() for c in below.locator("tr", has_text="evil.example").inner_text().split("\t")]
            assert cells == ["![](http:\u200b//evil.example/x.png)� [bấm](http:\u200b//evil.example/a) 2024", "80,00%",
                             "Trên 90", "6"]
            found = page.locator("a[href*='evil.example'], img[src*='evil.example']")
            assert found.count() == 0, [found.nth(i).evaluate("e => e.parentElement.parentElement.outerHTML.slice(0, 400)") for i in range(found.count())]
            page.screenshot(path=str(ARTIFACTS / "ten-don-vi-doc-hai.png"), full_page=True)
            browser.close()
        assert not [u for u in asked if "evil.example" in u]


@pytest.fixture
def imported(tmp_path):
    """`streamlit run app.py` on a database with a real import of March 2024 (no sample data), and a viewer."""
    from kpi.service import Actor, Service
    db = tmp_path / "kpi.duckdb"
    setup.initialise(Store(db), plan.SHIPPED_PLAN)
    user(db, "viewer")
    door = Service(db, Actor("quantri", "admin"))
    door.commit(door.prepare("t3.xlsx", bieu06([
        ("I", "Cơ quan chuyên môn", [("Phòng Tư pháp", counts(45, 5)), ("Phòng Nội vụ", counts(10, 0)),
                                     ("Phòng Tài chính – Kế hoạch", counts(30, 20))]),
        ("II", "UBND các xã, thị trấn", [("UBND xã Mỹ Hương", counts(37, 13)), ("UBND xã Phú Mỹ", counts(95, 5)),
                                         ("UBND xã Long Hưng", counts(60, 40))])])), (2024, 3))
    with _serving(db) as url:
        yield url


def _logged_in(browser, url: str, path: str, width: int, height: int):
    from playwright.sync_api import expect
    page = browser.new_page(viewport={"width": width, "height": height}, locale="vi-VN")
    page.goto(f"{url}/{path}", wait_until="networkidle")
    ahead = page.locator(".st-key-code_ahead")  # the figures' kinds of element, their code loaded while one types
    expect(ahead.locator("[data-testid='stMetric'], [data-testid='stTable'], .js-plotly-plot")).to_have_count(3)
    expect(ahead).to_be_hidden()
    page.get_by_label("Tên đăng nhập").fill(USERS["viewer"])
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible(timeout=30_000)
    return page


def test_the_overview_answers_above_the_fold_and_reads_on_a_phone(imported):
    from playwright.sync_api import expect, sync_playwright
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = _logged_in(browser, imported, "?period=2024-03", 1366, 768)
        below = page.locator("[data-testid='stTable']").first
        expect(below).to_contain_text("Phòng Tài chính – Kế hoạch", timeout=30_000)
        first = below.locator("tbody tr").first
        box = first.bounding_box()
        page.screenshot(path=str(ARTIFACTS / "tong-quan-1366x768.png"))
        assert box is not None and box["y"] + box["height"] <= 768, box  # the first unit below target, unscrolled
        phone = _logged_in(browser, imported, "?period=2024-03", 390, 844)
        expect(phone.locator("[data-testid='stTable']").first).to_contain_text("Phòng", timeout=30_000)
        overflow = phone.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth, "
                                  "[...document.querySelectorAll('[data-testid=stMain] *')]"
                                  ".filter(e => !e.closest('svg') && e.getBoundingClientRect().right > window.innerWidth + 1)"
                                  ".map(e => e.tagName + '.' + (e.dataset.testid || e.className)).slice(0, 8)]")
        assert overflow[0] <= overflow[1] and not overflow[2], overflow  # nothing sideways
        phone.screenshot(path=str(ARTIFACTS / "tong-quan-390x844.png"), full_page=True)
        phone.locator("[data-testid='stTable']").last.scroll_into_view_if_needed()  # the year-to-date list
        phone.screenshot(path=str(ARTIFACTS / "tong-quan-390x844-luy-ke.png"))
        browser.close()


def test_presentation_changes_slides_by_click_and_by_the_clickers_keys(imported):
    from playwright.sync_api import expect, sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = _logged_in(browser, imported, "present?period=2024-03&view=tom-tat", 1920, 1080)
        title = page.get_by_role("heading", level=1)
        expect(title).to_have_text("Tóm tắt — Tháng 3/2024", timeout=30_000)
        assert page.locator("[data-testid='stHeader']").is_hidden()  # nothing covers the controls
        page.get_by_role("button", name="Tiếp ▶").click()
        expect(title).to_have_text("Xếp hạng — Tháng 3/2024", timeout=30_000)
        ticks = page.locator(".xtick text, .ytick text").first
        expect(ticks).to_be_visible(timeout=30_000)
        assert float(ticks.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")) >= 20  # read from the back row
        page.screenshot(path=str(ARTIFACTS / "trinh-chieu-1920x1080.png"))
        page.mouse.click(5, 1000)  # the page, not a widget, has the focus, as after a click on a slide
        page.keyboard.press("ArrowRight")
        expect(title).to_have_text("Đơn vị chưa đạt — Tháng 3/2024", timeout=30_000)
        page.keyboard.press("PageDown")
        expect(title).to_have_text("Diễn biến đơn vị — Tháng 3/2024", timeout=30_000)
        page.keyboard.press("ArrowLeft")
        expect(title).to_have_text("Đơn vị chưa đạt — Tháng 3/2024", timeout=30_000)
        page.keyboard.press("PageUp")
        expect(title).to_have_text("Xếp hạng — Tháng 3/2024", timeout=30_000)
        browser.close()
