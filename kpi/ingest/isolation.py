"""Reading an uploaded file in a child process with its own memory and time limits.

The spreadsheet parsers are native code: a crafted file can make them ask for hundreds of gigabytes
and abort the whole process, or run for minutes. Here they run in a worker process (kept between
uploads, so its start is paid once) whose address space is capped; whatever the parser does there,
the app and the CLI get a Vietnamese sentence back and carry on, and a worker that died or hung is
replaced for the next file.
"""
from __future__ import annotations

import concurrent.futures as cf
import logging
import multiprocessing
import os
import resource
import threading

from kpi.ingest import readers
from kpi.ingest.readers import InputError, Limits, Sheet

MEMORY_MB = int(os.environ.get("KPI_PARSE_MEMORY_MB", 1024))  # the worker's address space
SECONDS = float(os.environ.get("KPI_PARSE_SECONDS", 60))

_pool: cf.ProcessPoolExecutor | None = None
_guard = threading.Lock()


def _start_worker(memory_mb: int) -> None:
    limit = memory_mb * 1048576
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    os.environ["RUST_BACKTRACE"] = "0"  # a parser that runs out says so in one line in the server's log
    readers.kind_of("warm-up", b"x")  # the parsers are imported now, not on the first file


def _executor() -> cf.ProcessPoolExecutor:
    global _pool
    with _guard:
        if _pool is None:
            # spawn, not fork: the app's server runs threads, which a forked child would inherit mid-step
            _pool = cf.ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("spawn"),
                                           initializer=_start_worker, initargs=(MEMORY_MB,))
        return _pool


def _discard(pool: cf.ProcessPoolExecutor) -> None:
    """A worker died or hangs: stop them all (a hung parser does not listen), start afresh next time."""
    global _pool
    with _guard:
        if _pool is pool:
            _pool = None
    for process in list(getattr(pool, "_processes", {}).values()):
        process.kill()
    pool.shutdown(wait=False, cancel_futures=True)


def read(name: str, data: bytes, limits: Limits | None = None) -> list[Sheet]:
    """readers.read, in the worker: every sheet of the file, or InputError in Vietnamese."""
    readers.check_size(name, data, limits or Limits())  # before the bytes travel
    return call(name, readers.read, name, data, limits)


def call(name: str, parse, *args, **kwargs):
    """`parse(*args, **kwargs)` in the worker, for the file `name`: its result (picklable), the errors it
    raises itself (InputError, PlanError: said in Vietnamese already), or InputError for anything else."""
    pool = _executor()
    try:
        return pool.submit(parse, *args, **kwargs).result(timeout=SECONDS)
    except ValueError:  # InputError, PlanError: the parser's own words
        raise
    except cf.TimeoutError:
        _discard(pool)
        raise InputError(f"Tệp {name} không đọc được: đọc quá {SECONDS:g} giây (tệp quá lớn hoặc hỏng).") from None
    except cf.process.BrokenProcessPool:
        _discard(pool)
        raise InputError(f"Tệp {name} không đọc được: quá lớn hoặc hỏng (bộ đọc bảng tính cần quá "
                         f"{readers._number(MEMORY_MB)} MB bộ nhớ, hoặc dừng đột ngột).") from None
    except MemoryError:
        raise InputError(f"Tệp {name} không đọc được: quá lớn hoặc hỏng (cần quá {readers._number(MEMORY_MB)} MB "
                         "bộ nhớ).") from None
    except Exception as error:  # noqa: BLE001 - any other failure of a parser is the file's, said in words
        logging.getLogger("dvc-kpi").warning("%s: %r", name, error)
        raise InputError(f"Tệp {name} không đọc được: tệp hỏng hoặc không đúng định dạng.") from None
