"""A browserless client for the running app: it speaks Streamlit's own websocket protocol
(protobuf BackMsg up, ForwardMsg down at /_stcore/stream) the way the web frontend does, so a
test can act like a hostile script: open any page, send any widget id it saw, with any value.

    with serve(db) as url, Client(url) as client:
        page = client.run("imports")                                # as if opening /imports
        after = client.run(None, widgets=[client.trigger(page.find("undo"))])  # a click there
"""
from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import NamedTuple

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState
from websockets.sync.client import connect

ROOT = Path(__file__).resolve().parent.parent
XSRF_COOKIE = "_streamlit_xsrf"  # streamlit/web/server/starlette/starlette_server_config.py
NO_TOKEN = "PLACEHOLDER_AUTH_TOKEN"  # what the frontend sends when it has no XSRF cookie
EARLY = ForwardMsg.FINISHED_EARLY_FOR_RERUN
FRAGMENT = ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY
# localhost must never go through a proxy from the environment
_http = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@contextlib.contextmanager
def serve(db_path, extra_env=None, config_args=(), log_lines: list[str] | None = None):
    """`streamlit run app.py` on `db_path` on a free local port; yields its base url. `log_lines`
    receives what the server wrote, once it has stopped."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "KPI_DB": str(db_path), "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
           **(extra_env or {})}
    command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
               "--server.port", str(port), "--server.address", "127.0.0.1", *config_args]
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryFile() as log:  # a file, not a pipe: a chatty server never blocks
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 60
            while not _healthy(url):
                if server.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    raise RuntimeError(f"streamlit did not start:\n{log.read().decode()[-3000:]}")
                time.sleep(0.2)
            yield url
        finally:
            server.terminate()
            try:
                server.wait(10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
            if log_lines is not None:
                log.seek(0)
                log_lines.extend(log.read().decode(errors="replace").splitlines())


def _healthy(url: str) -> bool:
    try:
        with _http.open(f"{url}/_stcore/health", timeout=2) as response:
            return response.read() == b"ok"
    except OSError:  # not listening yet
        return False


class Widget(NamedTuple):
    id: str
    label: str
    type: str  # the Element (or Block) field name: "button", "selectbox", "expandable", ...


@dataclass
class Run:
    """What the server sent for one script run (the last one, if the script called st.rerun)."""
    texts: list[str] = field(default_factory=list)  # every string of every element, in order
    widgets: list[Widget] = field(default_factory=list)
    protos: dict = field(default_factory=dict)  # widget id -> its proto: options, disabled, ...
    pages: dict[str, str] = field(default_factory=dict)  # url path -> page_script_hash
    hidden: set[str] = field(default_factory=set)  # listed url paths not in the menu (still open)
    page_hash: str = ""  # the page that ran
    exceptions: list[tuple[str, str]] = field(default_factory=list)  # (type, message)
    page_not_found: bool = False  # the page asked for is not listed; the default one ran
    status: str = ""  # ScriptFinishedStatus name
    reruns: int = 0  # runs ended early before this one (st.rerun, st.switch_page)

    def find(self, key: str) -> str:
        """The id of the widget made with `key=key`: Streamlit ids end in "-<key>"."""
        ids = [w.id for w in self.widgets if w.id.endswith(f"-{key}")]
        if not ids:
            raise KeyError(f"no widget with key {key!r} in {[w.id for w in self.widgets]}")
        return ids[0]


def _strings(message):
    """Every non-empty string in a proto, recursively, but ids, icons and tags: never shown as text."""
    for fd, value in message.ListFields():
        if fd.name in ("id", "form_id", "deferred_file_id", "icon", "tag", "anchor"):
            continue
        for v in value if fd.is_repeated else [value]:
            if fd.type == fd.TYPE_STRING and v:
                yield v
            elif fd.type == fd.TYPE_MESSAGE:
                yield from _strings(v)


class Client:
    """One browser tab: one websocket, one Streamlit session (session_state lives server-side)."""

    def __init__(self, url: str, timeout: float = 30):
        self.url = url.rstrip("/")
        # The frontend pings /_stcore/health before it opens the socket; with
        # server.enableXsrfProtection that response sets the _streamlit_xsrf cookie. Its JS reads
        # the cookie (not HttpOnly) and repeats it as the second subprotocol; the server accepts the
        # socket either way, but trusts the auth cookie (st.user) only when the two match.
        with _http.open(f"{self.url}/_stcore/health", timeout=timeout) as response:
            cookies = SimpleCookie()
            for header in response.headers.get_all("Set-Cookie") or []:
                cookies.load(header)
        self.xsrf = cookies[XSRF_COOKIE].value if XSRF_COOKIE in cookies else None
        self._socket = connect(
            self.url.replace("http", "ws", 1) + "/_stcore/stream",
            origin=self.url,  # same-origin, as a browser on the app's own page
            subprotocols=["streamlit", self.xsrf or NO_TOKEN],  # 3rd would be a session id to resume
            additional_headers={"Cookie": f"{XSRF_COOKIE}={self.xsrf}"} if self.xsrf else None,
            max_size=None, proxy=None, open_timeout=timeout)
        self.ws = self._socket.__enter__()  # websockets 17 wants its connection entered as a context
        self.pages: dict[str, str] = {}  # url path -> hash, from the last navigation message
        self.page_hash = ""  # the page now shown, as the frontend's currentPageScriptHash
        self.session_id = ""

    def run(self, page: str | None = "", query: str = "", widgets: list[WidgetState] | None = None,
            timeout: float = 30, page_hash: str | None = None) -> Run:
        """Run a page ("" the default, "imports", or None the page now shown) with these widget
        states, as a click or a URL would; wait until the script finishes. After a TimeoutError
        the socket may still hold that run's messages: use a new Client."""
        back = BackMsg()
        state = back.rerun_script
        state.query_string = query
        state.widget_states.widgets.extend(widgets or [])
        # Like the frontend: a known page goes by its hash; a URL path the client has no hash for
        # (first load) goes by name, which the server matches against the pages' url_pathname.
        if page_hash is not None:  # a hand-made hash, e.g. of a page the server did not list
            state.page_script_hash = page_hash
        elif page is None:
            state.page_script_hash = self.page_hash
        elif page in self.pages:
            state.page_script_hash = self.pages[page]
        else:
            state.page_name = page
        info = state.context_info
        info.timezone, info.timezone_offset, info.locale = "UTC", 0, "en-US"
        info.url = f"{self.url}/{page or ''}" + (f"?{query}" if query else "")
        self.ws.send(back.SerializeToString())
        return self._collect(timeout)

    def _collect(self, timeout: float) -> Run:
        run, deadline = Run(), time.monotonic() + timeout
        while True:
            msg = ForwardMsg()
            msg.ParseFromString(self.ws.recv(timeout=max(0.01, deadline - time.monotonic())))
            kind = msg.WhichOneof("type")
            if kind == "new_session":  # sent at the start of every script run: begin afresh
                self.session_id = msg.new_session.initialize.session_id or self.session_id
                run = Run(pages=dict(self.pages), reruns=run.reruns)
            elif kind == "navigation":  # st.navigation: the pages this session may open
                nav = msg.navigation
                self.pages = {p.url_pathname: p.page_script_hash for p in nav.app_pages}
                run.pages, run.page_hash = dict(self.pages), nav.page_script_hash
                run.hidden = {p.url_pathname for p in nav.app_pages if p.is_hidden}
                run.texts.extend(p.page_name for p in nav.app_pages if not p.is_hidden)  # the sidebar
                self.page_hash = nav.page_script_hash
            elif kind == "page_not_found":
                run.page_not_found = True
            elif kind == "delta":
                self._add(run, msg.delta)
            elif kind == "script_finished":
                if msg.script_finished == EARLY:
                    run.reruns += 1
                elif msg.script_finished != FRAGMENT:  # a fragment's own run is not ours
                    run.status = ForwardMsg.ScriptFinishedStatus.Name(msg.script_finished)
                    return run

    @staticmethod
    def _add(run: Run, delta) -> None:
        which = delta.WhichOneof("type")
        if which not in ("new_element", "add_block"):
            return
        outer = getattr(delta, which)
        kind = outer.WhichOneof("type")
        if kind is None:
            return
        inner = getattr(outer, kind)
        run.texts.extend(_strings(inner))
        if kind == "exception":
            run.exceptions.append((inner.type, inner.message))
        if "id" in inner.DESCRIPTOR.fields_by_name and inner.id:  # a widget: buttons, inputs, tabs
            run.widgets.append(Widget(inner.id, getattr(inner, "label", ""), kind))
            run.protos[inner.id] = inner

    @staticmethod
    def trigger(widget_id: str) -> WidgetState:
        """A button click."""
        return WidgetState(id=widget_id, trigger_value=True)

    @staticmethod
    def set(widget_id: str, value) -> WidgetState:
        """A value for a widget: str for text inputs, selectbox and radio (the option as shown),
        bool for checkboxes, float for number inputs, list[str] for multiselects."""
        state = WidgetState(id=widget_id)
        if isinstance(value, bool):
            state.bool_value = value
        elif isinstance(value, int):
            state.int_value = value
        elif isinstance(value, float):
            state.double_value = value
        elif isinstance(value, str):
            state.string_value = value
        else:
            state.string_array_value.data.extend(value)
        return state

    def close(self) -> None:
        self._socket.__exit__(None, None, None)

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
