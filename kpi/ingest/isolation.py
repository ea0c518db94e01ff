"""Reading an uploaded file in a child process with its own memory and time limits.

The spreadsheet parsers are native code: a crafted file can make them ask for hundreds of gigabytes
and abort the whole process, or run for minutes. Here each file is parsed in a process of its own,
forked from a small server process that has the parsers loaded already (so a parse starts in
milliseconds). Its address space is capped at what it holds at the start plus a budget; its clock
starts when it does. Whatever the parser does there, only that process ends: the app, the CLI and
other people's uploads get on, and this one gets a Vietnamese sentence.
"""
from __future__ import annotations

import logging
import multiprocessing
from multiprocessing import forkserver
import os
import resource
import threading

from kpi import fmt
from kpi.ingest import readers
from kpi.ingest.readers import InputError, Limits, Sheet

BUDGET_MB = int(os.environ.get("KPI_PARSE_MEMORY_MB", 1024))  # beyond what the process holds when it starts
SECONDS = float(os.environ.get("KPI_PARSE_SECONDS", 60))
AT_ONCE = 2  # parses at a time (the machine has two cores); others wait for a slot, their clock not running

_context = multiprocessing.get_context("forkserver")
_context.set_forkserver_preload(["kpi.ingest.warm"])
_slots = threading.BoundedSemaphore(AT_ONCE)


def _address_space() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[0]) * resource.getpagesize()


def _parse(pipe, budget_mb: int, parse, args, kwargs) -> None:
    """In the child: cap the memory, parse, send back the result or what went wrong."""
    limit = _address_space() + budget_mb * 1048576
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    os.environ["RUST_BACKTRACE"] = "0"  # a parser that runs out says so in one line in the server's log
    try:
        outcome = ("ok", parse(*args, **kwargs))
    except (InputError, _plan_error()) as error:  # the parsers' own Vietnamese
        outcome = ("refused", error)
    except MemoryError:
        outcome = ("memory", None)
    except Exception as error:  # noqa: BLE001 - any other failure is the file's
        outcome = ("failed", repr(error))
    try:
        pipe.send(outcome)
    except MemoryError:
        pipe.send(("memory", None))
    pipe.close()


def _plan_error() -> type:
    from kpi.plan import PlanError

    return PlanError


def start() -> None:
    """Have the server load the parsers now, in the background (about half a second, once per process): for a
    page where a file is about to be uploaded."""
    threading.Thread(target=forkserver.ensure_running, name="parsers", daemon=True).start()


class WorkerLost(InputError):
    """The parsing process ran out of memory or ended without an answer."""


def read(name: str, data: bytes, limits: Limits | None = None) -> list[Sheet]:
    """readers.read in a process of its own: every sheet of the file, or InputError in Vietnamese. The cells
    are parsed while the XML is scanned; when the parser gives up first (a far cell asks it for a grid of
    gigabytes), the scan alone, in a process of its own too, says what is wrong and where."""
    readers.check_size(name, data, limits or Limits())  # before the bytes travel
    try:
        return call(name, readers.read, name, data, limits, alongside=True)
    except WorkerLost:
        if readers.kind_of(name, data) == readers.XLSX:
            call(name, readers.scan, name, data, limits)  # raises the scan's own sentence, if it has one
        raise


def call(name: str, parse, *args, **kwargs):
    """`parse(*args, **kwargs)` in a process of its own, for the file `name`: its result (picklable), the
    Vietnamese errors it raises itself (InputError, PlanError), or InputError for anything else."""
    with _slots:
        receive, send = _context.Pipe(duplex=False)
        process = _context.Process(target=_parse, args=(send, BUDGET_MB, parse, args, kwargs), daemon=True)
        process.start()
        send.close()
        try:
            if not receive.poll(SECONDS):
                kind, value = "timeout", None
            else:
                try:
                    kind, value = receive.recv()
                except (EOFError, OSError):  # the process died: the parser aborted, most often out of memory
                    kind, value = "died", None
        finally:
            if process.is_alive():
                process.kill()
            process.join()
            receive.close()
    if kind == "ok":
        return value
    if kind == "refused":
        raise value
    if kind == "timeout":
        raise InputError(f"Tệp {name} không đọc được: đọc quá {SECONDS:g} giây (tệp quá lớn hoặc hỏng).")
    if kind == "failed":
        logging.getLogger("dvc-kpi").warning("%s: %s", name, value)
        raise InputError(f"Tệp {name} không đọc được: tệp hỏng hoặc không đúng định dạng.")
    raise WorkerLost(f"Tệp {name} không đọc được: quá lớn hoặc hỏng (bộ đọc bảng tính cần quá "
                     f"{fmt.number(BUDGET_MB)} MB bộ nhớ, hoặc dừng đột ngột).")
