"""Shared pieces of the Streamlit pages: the store, the period frame kept in the URL, cached
engine results, and tables in Vietnamese. Pages read widgets, call these and `kpi`, and render."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from kpi import charts, fmt, history, ingest, measures, plan, scorecard, service
from kpi import text as kpi_text
from kpi.periods import SCOPES, Period
from kpi.service import DEMO_LABEL, ROLES, Actor, Service, StoreError

NEW_UNIT = "— Thêm đơn vị mới —"
SKIP_ROW = "— Bỏ qua dòng này —"
UPLOAD_MB = ingest.Limits().max_bytes // 1048576  # each uploader says and keeps the readers' own cap
BAND_STYLES = {"met": "background-color: #c8e6c9", "near": "background-color: #fff3c4",
               "below": "background-color: #ffcdd2"}


# Streamlit's own words, in Vietnamese: it has no translation of its own, so its English labels are hidden
# and the Vietnamese shown in their place; its menu (English, for developers) and its "Running…/Stop" go
_CHROME = """<style>
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p { font-size: 0; }
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p::after {
  content: "Chọn tệp"; font-size: 0.875rem; }
[data-testid="stFileUploaderDropzoneInstructions"] span { font-size: 0; }
[data-testid="stFileUploaderDropzoneInstructions"] span::after {
  content: "hoặc kéo thả tệp vào đây · tối đa %MB% MB"; font-size: 0.875rem; }
[data-testid="stMainMenu"], [data-testid="stStatusWidget"] { display: none; }
/* the answer above the fold: less empty space above a page's title */
[data-testid="stMainBlockContainer"] { padding-top: 3rem; }
</style>"""


def chrome() -> None:
    """Streamlit's own labels in Vietnamese (on every run: a page's styles live as long as its run)."""
    st.html(_CHROME.replace("%MB%", str(UPLOAD_MB)))


# -- the doorway and cached results (keyed by the file's version: any write, by any process, renews them) --
@st.cache_resource(show_spinner=False)
def _started(path: str) -> bool:
    Service(path).ensure()  # first start: create the database on the sample data
    return True


def _path() -> str:
    path = str(service.default_path())
    _started(path)
    return path


def _key() -> tuple[str, tuple]:
    path = _path()
    return path, Service(path).version()


def doorway() -> Service:
    """The database, as the user of this session: every write is checked against their role there."""
    return Service(_path(), actor())


def actor() -> Actor:
    """Who uses this session: the user who logged in here, or the one the office's single sign-on
    vouches for; as the database knows them now (a disabled account is logged out at its next step)."""
    door, name = Service(_path()), st.session_state.get("user")
    if name:
        return door.actor_of(name, client())
    return door.identify(_vouched(), client())


def _vouched() -> str | None:
    """The e-mail address st.login (OIDC) or the proxy's trusted headers give, when they give one."""
    if not st.user.get("is_logged_in", True) or st.user.get("email_verified", True) is False:
        return None
    return st.user.get("email")


def client() -> str | None:
    """The browser's address (behind the office's proxy, the one the proxy vouches for; None on the
    server itself): for the audit trail, and to slow down guessing from one place."""
    address = st.context.ip_address
    return address if isinstance(address, str) else None


@st.cache_data(show_spinner=False, max_entries=64)
def _facts(path: str, version: tuple) -> dict:
    return Service(path).facts()


def facts() -> dict:
    """Months with data, plans, units and their other names, the area, settings, and whether the data
    is a sample."""
    return _facts(*_key())


def predecessors(unit: str) -> list[str]:
    """The units merged into this one."""
    units = facts()["units"]
    own = units.loc[units["unit"] == unit, "unit_id"]
    return units.loc[units["successor"].isin(own), "unit"].tolist() if len(own) else []


def months() -> list[tuple[int, int]]:
    return facts()["months"]


@st.cache_data(show_spinner=False, max_entries=256)
def _card(path: str, version: tuple, period: Period, as_of: Period | None) -> scorecard.Scorecard:
    return Service(path).scorecard(period, as_of)


def card(period: Period | None = None, as_of: Period | None = None) -> scorecard.Scorecard:
    """The scorecard of a period (by default the one chosen in the sidebar), judged by its year's plan;
    `as_of` lists the units as they are at a later period's end, for comparing with it."""
    return _card(*_key(), period or chosen_period(), as_of)


@st.cache_data(show_spinner=False, max_entries=64)
def _panel(path: str, version: tuple, last: tuple[int, int], span: int) -> pd.DataFrame:
    return Service(path).panel(last, span)


def panel(last: tuple[int, int] | None = None, span: int = 36) -> pd.DataFrame:
    """Every unit's rates in each of the `span` stored months up to `last` (units merged by then
    counted as the unit they became)."""
    period = chosen_period()
    return _panel(*_key(), last or (period.year, period.last_month), span)


@st.cache_data(show_spinner=False, max_entries=64)
def _flags(path: str, version: tuple, period: Period) -> pd.DataFrame:
    return Service(path).flags(period)


def flags() -> pd.DataFrame:
    return _flags(*_key(), chosen_period())


@st.cache_data(show_spinner=False, max_entries=64)
def _counts_by_month(path: str, version: tuple, unit: str, last: tuple[int, int]) -> pd.DataFrame:
    return Service(path).counts_by_month(unit, last)


def counts_by_month(unit: str) -> pd.DataFrame:
    """A unit's stored counts (with those of the units merged into it), month by month, up to the
    chosen period."""
    period = chosen_period()
    return _counts_by_month(*_key(), unit, (period.year, period.last_month))


@st.cache_data(show_spinner=False, max_entries=64)
def _fields(path: str, version: tuple, unit: str, period: Period) -> pd.DataFrame:
    return Service(path).fields(unit, period)


def fields(unit: str) -> pd.DataFrame:
    """The unit's rates by field (lĩnh vực) over the chosen period: empty without reports by field."""
    return _fields(*_key(), unit, chosen_period())


@st.cache_data(show_spinner=False, max_entries=16)
def _report(path: str, version: tuple, period: Period):
    return Service(path).report(period)


def report():
    """The chosen period's Report (kpi.reports), cached until the data changes."""
    return _report(*_key(), chosen_period())


# -- the frame: plan and period chosen once, kept across pages and in the URL --------------------------
def url_widget(widget, label: str, key: str, options: list, default, to_text=str, **kwargs):
    """A selectbox-like widget whose value is kept across pages and in the URL (?key=value).

    Streamlit forgets a widget's value when the page changes, so the value lives under "_key"
    and seeds the widget on every run; the URL seeds it on a session's first run.
    """
    kept = f"_{key}"
    by_text = {to_text(o): o for o in options}
    if kept not in st.session_state:
        st.session_state[kept] = by_text.get(st.query_params.get(key), default)
    if st.session_state[kept] not in options:
        st.session_state[kept] = default
    st.session_state[key] = st.session_state[kept]
    value = widget(label, options, key=key, on_change=lambda: st.session_state.update({kept: st.session_state[key]}),
                   **kwargs)
    st.query_params[key] = to_text(value)
    return value


def _month_text(ym: tuple[int, int]) -> str:
    return f"{ym[0]}-{ym[1]:02d}"


def _month_of(text) -> tuple[int, int] | None:
    """'2025-05' -> (2025, 5); None for anything else."""
    try:
        period = Period.parse(str(text))
    except (ValueError, TypeError):
        return None
    return period.year, period.month


def frame() -> None:
    """The sidebar of every page: the area, scope and month, and the plan that judges it; the
    sample-data banner."""
    flash()
    known = facts()
    available = known["months"][::-1] or [(pd.Timestamp.today().year, pd.Timestamp.today().month)]
    asked = _month_of(st.query_params.get("period"))
    if "_period" not in st.session_state and asked and asked not in available:
        st.session_state["_asked_month"] = asked  # a shared link's month opens, even without data
    if (extra := st.session_state.get("_asked_month")) and extra not in available:
        available = sorted({*available, extra}, reverse=True)
    with st.sidebar:
        if known["area"]["name"]:
            st.subheader(plain(known["area"]["name"]))
        st.header("Kỳ báo cáo")
        url_widget(st.selectbox, "Phạm vi", "scope", list(SCOPES), "month", format_func=SCOPES.get)
        url_widget(st.selectbox, "Đến tháng", "period", available, available[0], _month_text,
                   format_func=lambda ym: f"Tháng {ym[1]}/{ym[0]}")
        year = chosen_period().year if known["months"] else available[0][0]
        judging = known["plans"][known["plans"]["year"] == year]
        st.caption("Chỉ tiêu theo: " + (f"**{plain(judging['name'].iloc[0])}**" if len(judging) else
                                        f":orange[{plan.no_plan(year)}]"))
        if known["sample"]:
            st.caption(f":orange[**{DEMO_LABEL}**]")
    account()
    if known["sample"]:
        st.warning(f"**{DEMO_LABEL}**: các số liệu dưới đây là dữ liệu mẫu để dùng thử, không phải số liệu thật. "
                   "Nhập báo cáo tháng thật ở trang «Nhập dữ liệu», hoặc thiết lập địa bàn của mình ở trang "
                   "«Thiết lập».", icon=":material/science:")


# -- who uses the app: login, logout, pages by role ---------------------------------------------------
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


def error_box(error: Exception) -> None:
    """An error's message (which may quote a file's or a person's names) in a red box, as plain text."""
    st.error(plain(str(error)), icon=":material/error:")


error = error_box


plain = kpi_text.in_markdown  # names, file names and messages inside Markdown: shown as written


def attempt(action, message: str) -> None:
    """Run a write (a page's button): a refusal is said on the page, a success after the rerun."""
    try:
        action()
    except (StoreError, ValueError) as error:
        error_box(error)
    else:
        written(message)


def failed(error: Exception) -> None:
    """What a user sees when a page fails: the store's own words, or a plain sentence; never a traceback
    (the server's log keeps it)."""
    if isinstance(error, StoreError):
        error_box(error)
    else:
        st.error(f"Trang này gặp lỗi ngoài dự kiến nên chưa hiển thị được (lúc {pd.Timestamp.now():%H:%M:%S}). Hãy tải "
                 "lại trang; nếu lỗi còn, hãy báo quản trị viên: chi tiết đã được ghi ở nhật ký của máy chủ.",
                 icon=":material/error:")


def require_data() -> None:
    """Stop a page that shows figures when there are none yet, saying where they come from."""
    if not months():
        st.info("Chưa có số liệu. Hãy nhập báo cáo tháng ở trang «Nhập dữ liệu».", icon=":material/info:")
        st.stop()


def chosen_period() -> Period:
    year, month = st.session_state.get("_period") or months()[-1]
    return Period(year, month, st.session_state.get("_scope", "month"))


def caption(card: scorecard.Scorecard) -> None:
    st.caption(plain(f"{card.area} · {card.period.label} · {card.plan_name}")
               + (f" · Kỳ báo cáo {card.windows_said}" if card.windows else ""))
    if card.plan is None:
        no_plan(card.period.year)
    if not card.months_present:
        st.info(f"Chưa có số liệu của {card.period.label}.", icon=":material/info:")
        have = months()
        if have:  # the nearest month with data, one click away
            end = card.period.year * 12 + card.period.last_month
            nearest = min(have, key=lambda ym: (abs(ym[0] * 12 + ym[1] - end), -(ym[0] * 12 + ym[1])))
            if st.button(f"Xem tháng gần nhất có số liệu: tháng {nearest[1]}/{nearest[0]}", key="nearest_month",
                         icon=":material/event_available:"):
                st.session_state["_period"] = nearest
                st.session_state.pop("_asked_month", None)
                st.rerun()
    else:
        said = {k: s for k in card.kpis_with_data() if card.coverage(k)["units"] and (s := card.coverage_said(k))}
        if said:  # a figure over part of the units or months is never the whole area's
            common = set(said.values())
            what = (f"{next(iter(common)).lower()}" if len(common) == 1 and len(said) == len(
                [k for k in card.kpis_with_data() if card.coverage(k)["units"]]) else
                "; ".join(f"«{measures.get(k).short}»: {s[0].lower()}{s[1:]}" for k, s in said.items()))
            st.warning(f"{card.period.label} chưa đủ số liệu: {what}; các tỷ lệ chỉ tính trên phần đã có.",
                       icon=":material/rule:")
    definitions_allowed(card.instead(), card.plan)


def definitions_allowed(found: list, plan: dict | None) -> None:
    """Say which KPIs the plan's definition leaves without data while another definition has it, and
    let an admin switch the plan to that definition."""
    for i, instead in enumerate(found):
        st.info(plain(instead.sentence), icon=":material/rule:")
        if plan is None:
            continue
        if actor().may(service.ACTIONS["definition"][0]):
            if st.button(f"Tính theo định nghĩa này cho {plan['name']}", key=f"instead_{instead.kpi.key}_{i}",
                         icon=":material/published_with_changes:"):
                attempt(lambda: doorway().set_definition(int(plan["plan_id"]), instead.kpi.key, instead.other),
                        f"Đã đổi cách tính «{instead.kpi.label}» của {plan['name']}: {instead.kpi.variants[instead.other].note}.")
        else:
            st.caption("Quản trị viên có thể đổi cách tính ở trang «Chỉ tiêu».")


def no_plan(year: int) -> None:
    """Say that the year has no plan, so nothing is judged, and offer to copy the nearest year's."""
    plans = facts()["plans"]
    st.warning(f"**{plan.no_plan(year)}**: các tỷ lệ dưới đây không được đánh giá đạt hay chưa đạt, vì năm {year} "
               "chưa có chỉ tiêu.", icon=":material/event_busy:")
    left, right = st.columns([1, 1])
    earlier, later = plans[plans["year"] < year], plans[plans["year"] > year]
    if (len(earlier) or len(later)) and actor().may("admin"):
        source = int(earlier["year"].max()) if len(earlier) else int(later["year"].min())
        left.button(f"Chép kế hoạch năm {source} sang năm {year}", key=f"copy_plan_{year}", icon=":material/content_copy:",
                    on_click=copy_plan, args=(source, year))
    right.page_link("views/targets.py", label=f"Nhập hoặc soạn kế hoạch năm {year}", icon=":material/target:")


def copy_plan(source: int, year: int) -> None:
    """Next year's plan to start from: the chosen year's, copied (a button's callback)."""
    try:
        stored = doorway().copy_plan(source, year)
    except (ValueError, StoreError) as error:
        st.session_state["flash"] = ("error", str(error))
        return
    st.cache_data.clear()
    st.session_state["flash"] = ("success", f"Đã chép kế hoạch năm {source} sang năm {year}: «{stored.name}». Sửa chỉ "
                                            f"tiêu của năm {year} ở trang «Chỉ tiêu».")


def written(message: str, kind: str = "success") -> None:
    """After a write: fresh figures everywhere, and `message` said on the next run, which starts now."""
    st.cache_data.clear()
    st.session_state["flash"] = (kind, message)
    st.rerun()


def flash() -> None:
    """The message a callback left for this run."""
    kind, message = st.session_state.pop("flash", (None, None))
    if kind == "greeting":  # a toast: the page's answer stays where it is
        st.toast(plain(message), icon=":material/waving_hand:")
    elif kind == "success":
        st.success(plain(message), icon=":material/check_circle:")
    elif kind:
        st.error(plain(message), icon=":material/error:")


def trend(rows: pd.DataFrame, kpis: list[str], card: scorecard.Scorecard, lines: dict, title: str):
    """charts.trend with the card's targets over its own year, and where a KPI starts being counted
    another way."""
    return charts.trend(rows, kpis, lines, title, target_year=card.period.year,
                        breaks=history.definition_breaks(rows, facts()["definitions"], kpis))


def below_list(card: scorecard.Scorecard, kpi: str, limit: int | None = None, group: str | None = None,
               container=st) -> None:
    """The units below target for a KPI as a short table, "và N đơn vị khác" when the list is cut, and
    what the dossiers needed count."""
    below = card.below_target(kpi, group=group)
    if below.empty:
        good, why = card.none_below(kpi)
        (container.success if good else container.info)(why, icon=":material/check_circle:" if good else
                                                        ":material/info:")
        return
    shown = below.head(limit) if limit else below
    # a plain table: read on a phone without sideways scrolling, its text found by a browser's search
    table = scorecard.below_table(shown, kpi)
    table[["Đơn vị", "Chỉ tiêu"]] = table[["Đơn vị", "Chỉ tiêu"]].map(plain)  # st.table reads its cells as Markdown
    container.table(table.set_index("Đơn vị"))
    more = (f"Và {fmt.number(len(below) - len(shown))} đơn vị khác chưa đạt (xem trang «Xếp hạng»). "
            if len(below) > len(shown) else "")
    container.caption(more + scorecard.needed_help(kpi, card.definitions))


def counted_otherwise(earlier: scorecard.Scorecard, card: scorecard.Scorecard, kpi: str) -> str:
    """'; kỳ đó tính theo …' when the earlier period's plan counts a KPI another way: a change across
    definitions is said, not hidden."""
    was, now = measures.get(kpi).ratio(earlier.definitions), measures.get(kpi).ratio(card.definitions)
    return "" if was == now else f" (kỳ đó tính theo cách khác: {was.note})"


def target_line(card: scorecard.Scorecard, target, verdict: str) -> str:
    """'Chỉ tiêu: **Trên 90** — Đạt', or that the plan sets none, or that the year has no plan."""
    if card.plan is None:
        return f"{card.plan_name}: không đánh giá"
    if not isinstance(target, str):
        return "Không có chỉ tiêu"
    return f"Chỉ tiêu: **{target}** — {verdict}"


def chart_config(file_name: str) -> dict:
    """plotly's toolbar: a PNG download with a Vietnamese file name, at a high resolution."""
    return {"displaylogo": False, "toImageButtonOptions": {"format": "png", "filename": file_name, "scale": 3}}


def counter(name: str, step: int = 0) -> int:
    """A per-session counter; stepping it gives a widget a new key, which empties it."""
    key = f"counter_{name}"
    st.session_state[key] = st.session_state.get(key, 0) + step
    return st.session_state[key]


# -- tables in Vietnamese -----------------------------------------------------------------------------
def styled(table: pd.DataFrame, bands: pd.Series, column: str = "Đánh giá"):
    """Green / amber / red on the verdict column."""
    colours = [BAND_STYLES.get(b, "") if isinstance(b, str) else "" for b in bands]
    return table.style.apply(lambda _: colours, subset=[column], axis=0)


def flag_list(found: pd.DataFrame) -> None:
    """Data-quality flags as a list the user reads."""
    if found.empty:
        st.caption("Không phát hiện bất thường trong số liệu của kỳ này.")
        return
    st.warning(f"{len(found)} điểm cần kiểm tra trong số liệu:", icon=":material/flag:")
    st.dataframe(pd.DataFrame({"Đơn vị": found["unit"], "Nội dung": found["message"]}), hide_index=True,
                 width="stretch")
