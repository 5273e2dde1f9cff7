"""Parse untrusted files in worker processes, so that one file's crash, endless loop or memory bomb costs that file only.

calamine is native code: a hostile file can abort the whole process (a failed allocation in Rust
aborts, it does not raise), spin for ever, or ask for gigabytes. `safe_open` refuses the bombs it
knows from the bytes; this module bounds what it does not know. Each worker process runs with an
address-space limit (RLIMIT_AS) and each file with a time limit; a worker that dies or overruns is
killed and replaced, its file gets a message for the clerk and the other files are read on.

Workers are forked from this process when it runs one thread (the CLI: they inherit the imported
modules, which is fast), and from a clean fork server otherwise (xlwings Server runs the buttons in
threads, and forking a threaded process can deadlock the child).

A worker is handed files in batches and answers a batch in one message (or a few, for large
tables), so that this process wakes once a batch, not once a file. What it is reading, and since
when, it writes to memory shared with this process: a worker killed or stopped mid-batch costs the
file it was reading, and the files of its batch it read but had not yet answered are read again by
the next worker. Results travel pickled, compactly: a cell or a row as its fields in order, a layout
of the caller's set by name (it comes back as the caller's own object).
"""

from __future__ import annotations

import copyreg
import io
import multiprocessing
import os
import pickle
import signal
import sys
import threading
import time
from collections import deque
from dataclasses import fields
from multiprocessing.connection import wait
from pathlib import Path
from typing import Callable

from tthc_xl.core.layouts import Layout
from tthc_xl.core.model import Cell, Row
from tthc_xl.core.units import UnitList
from tthc_xl.files.read import FileResult, read_file
from tthc_xl.files.safe_open import broken_message

FILE_SECONDS = 15.0  # one unit file reads in milliseconds; a 20 000-row appendix in about a second
MEMORY_MB = 1536  # address space a worker may add to what it inherits
BATCH = 32  # files handed to a worker at a time (answered in one message); a second batch waits queued
ANSWER_BYTES = 2**20  # a worker answers before its batch is done once it holds this much (tables of many rows)


def _setting(name: str, default: float) -> float:
    try:
        value = float(os.environ.get(f"TTHC_XL_{name}") or default)
    except ValueError:
        return default
    return value if value > 0 else default


def crashed_message(name: str) -> str:
    return (
        f"Tệp {name} làm chương trình đọc bảng tính dừng đột ngột (tệp hỏng hoặc bất thường, có thể cần quá nhiều bộ nhớ) "
        "nên không đọc được; các tệp khác vẫn được tổng hợp. Hãy mở tệp bằng Excel, lưu lại thành .xlsx mới rồi chạy lại, "
        "hoặc đề nghị đơn vị gửi lại."
    )


def timeout_message(name: str, seconds: float) -> str:
    shown = f"{seconds:g}".replace(".", ",")
    return (
        f"Tệp {name} đọc quá {shown} giây mà chưa xong (tệp hỏng hoặc bất thường) nên đã dừng đọc tệp này; các tệp khác vẫn "
        "được tổng hợp. Hãy mở tệp bằng Excel, lưu lại thành .xlsx mới rồi chạy lại, hoặc đề nghị đơn vị gửi lại."
    )


Reader = Callable[[Path, dict, "str | None", "UnitList | None"], FileResult]


def read_isolated(
    files: list[Path],
    layouts: dict[str, Layout],
    form: str | None,
    units: UnitList | None,
    jobs: int,
    meanwhile: Callable[[], object] | None = None,
    reader: Reader = read_file,
) -> list[FileResult]:
    """`reader(path, layouts, form, units)` of every file, in input order, each in a worker process.

    Raises OSError when worker processes cannot be started at all (the caller then decides)."""
    files = list(files)
    jobs = max(1, min(jobs, len(files)))
    with _slots(jobs) as jobs:
        return _read(files, layouts, form, units, jobs, meanwhile, reader)


def _read(files, layouts, form, units, jobs, meanwhile, reader) -> list[FileResult]:
    seconds, memory = _setting("FILE_SECONDS", FILE_SECONDS), _setting("MEMORY_MB", MEMORY_MB)
    context = _context()
    pending = deque(range(len(files)))
    results: list[FileResult | None] = [None] * len(files)
    workers = [_Worker(context, (layouts, form, units, reader, memory)) for _ in range(jobs)]
    try:
        if meanwhile:
            _hand_out(workers, pending, files)
            meanwhile()
        while pending or any(w.in_flight for w in workers):
            _hand_out(workers, pending, files)
            busy = [w for w in workers if w.in_flight]
            now = time.monotonic()
            timeout = max(0.0, min(w.reading()[1] + seconds for w in busy) - now)
            ready = wait([w.connection for w in busy], timeout)
            for worker in busy:
                if worker.connection in ready:
                    try:
                        data = worker.connection.recv_bytes()
                    except (EOFError, OSError):
                        index = worker.give_back(pending)
                        results[index] = FileResult(str(files[index]), error=crashed_message(files[index].name))
                        continue
                    answers = io.BytesIO(data)
                    unpickler = _LayoutUnpickler(answers, layouts)
                    while answers.tell() < len(data):
                        results[worker.in_flight.popleft()] = unpickler.load()
                    worker.since = time.monotonic()
                elif worker.in_flight and time.monotonic() - worker.reading()[1] >= seconds:
                    index = worker.give_back(pending)
                    results[index] = FileResult(str(files[index]), error=timeout_message(files[index].name, seconds))
    finally:
        for worker in workers:
            worker.stop()
    return results  # type: ignore[return-value]


_SLOTS = threading.BoundedSemaphore(max(2, os.cpu_count() or 1))  # worker processes of this process at a time


class _slots:
    """Up to `wanted` worker slots, at least one (waiting for it): parallel server requests share the cores."""

    def __init__(self, wanted: int):
        self.wanted, self.taken = wanted, 0

    def __enter__(self) -> int:
        _SLOTS.acquire()
        self.taken = 1
        while self.taken < self.wanted and _SLOTS.acquire(blocking=False):
            self.taken += 1
        return self.taken

    def __exit__(self, *exc) -> None:
        for _ in range(self.taken):
            _SLOTS.release()


def _hand_out(workers: list[_Worker], pending: deque, files: list[Path]) -> None:
    """Keep each worker a batch ahead: it never waits for this process, and a dead worker hands back few files."""
    share = max(1, min(BATCH, len(pending) // (2 * max(len(workers), 1))))
    for _ in range(2):  # a batch to each worker in turn, then the one it reads next
        for worker in workers:
            if pending and len(worker.in_flight) < 2 * share:
                batch = [pending.popleft() for _ in range(min(share, len(pending)))]
                worker.send(batch, [files[i] for i in batch])


def _context():
    if sys.platform.startswith("linux") and threading.active_count() == 1 and threading.current_thread() is threading.main_thread():
        return multiprocessing.get_context("fork")
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload([__name__])
        return context
    return multiprocessing.get_context("spawn")


class _Worker:
    """One worker process and its pipe; `in_flight` lists the indices of the files it was given and has not answered.

    `progress` is shared with the process: the index of the file it is reading and when it started on it."""

    def __init__(self, context, setup: tuple):
        self.context, self.setup = context, setup
        self.in_flight: deque[int] = deque()
        self.since = 0.0
        self._start()

    def _start(self) -> None:
        ours, theirs = self.context.Pipe()
        self.progress = self.context.RawArray("d", [-1.0, 0.0])
        self.process = self.context.Process(target=_serve, args=(theirs, self.progress, *self.setup), daemon=True)
        self.process.start()
        theirs.close()
        self.connection = ours

    def send(self, indices: list[int], paths: list[Path]) -> None:
        if not self.in_flight:
            self.since = time.monotonic()  # the clock of the file it reads first; a queued batch does not reset it
        self.in_flight.extend(indices)
        try:
            self.connection.send(list(zip(indices, map(str, paths))))
        except OSError:
            pass  # a dead worker: its next recv says so

    def reading(self) -> tuple[int, float]:
        """The file the worker is reading (one of `in_flight`) and since when; before it starts one of them,
        the first of them and the time it was handed its work or last answered."""
        index, since = int(self.progress[0]), self.progress[1]
        if index in self.in_flight:
            return index, max(since, self.since)
        return self.in_flight[0], self.since

    def give_back(self, pending: deque) -> int:
        """The file the worker was reading when it died or overran; the others it holds go back to `pending`
        (first), and the worker is replaced."""
        index = self.reading()[0]
        pending.extendleft(reversed([i for i in self.in_flight if i != index]))
        self.restart()
        return index

    def restart(self) -> None:
        self.in_flight.clear()
        self.kill()
        self._start()

    def kill(self) -> None:
        self.connection.close()
        if self.process.is_alive():
            self.process.kill()
        self.process.join()

    def stop(self) -> None:
        try:
            self.connection.send(None)
        except OSError:
            pass
        self.connection.close()
        self.process.join(1)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()


def _serve(connection, progress, layouts, form, units, reader, memory_mb) -> None:
    """The worker: read the files it is sent, answer each batch pickled (one result after the other), until told to stop."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    _quiet_native_errors()
    _limit_memory(memory_mb)
    table = answer_table(layouts)
    while True:
        try:
            batch = connection.recv()
        except (EOFError, OSError):
            return
        if batch is None:
            return
        buffer = pickler = None
        for index, path in batch:
            progress[1] = time.monotonic()  # the time first: the parent reads the index, then the time
            progress[0] = index
            try:
                result = reader(Path(path), layouts, form, units)
            except Exception as exc:  # a reader's own failure is the file's message, not the end of the worker
                result = FileResult(path, error=broken_message(Path(path).name, type(exc).__name__))
            if pickler is None:
                buffer = io.BytesIO()
                pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
                pickler.dispatch_table = table
            pickler.dump(result)  # one pickler for the answer: strings repeated across its results are sent once
            del result
            if buffer.tell() >= ANSWER_BYTES:
                connection.send_bytes(buffer.getbuffer())
                buffer = pickler = None
        if pickler is not None:
            connection.send_bytes(buffer.getbuffer())


def answer_table(layouts: dict[str, Layout]) -> dict:
    """The pickler's dispatch table for results: a layout of `layouts` by name, cells and rows by their fields."""
    known = {id(layout): name for name, layout in layouts.items()}
    table = copyreg.dispatch_table.copy()
    table[Layout] = lambda layout: (
        (_known_layout, (known[id(layout)],)) if id(layout) in known else layout.__reduce_ex__(pickle.HIGHEST_PROTOCOL)
    )
    table[Cell], table[Row] = _by_fields(Cell), _by_fields(Row)
    return table


def _by_fields(cls):
    """A reducer that pickles a dataclass instance as its fields in order (not a dictionary of them by name)."""
    names = tuple(f.name for f in fields(cls))
    assert all(f.init for f in fields(cls))
    return lambda instance: (cls, tuple(getattr(instance, name) for name in names))


def _quiet_native_errors() -> None:
    """Native code that aborts prints its backtrace on stderr: the clerk gets the file's message instead."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        os.close(devnull)
    except OSError:
        pass


def _limit_memory(memory_mb: float) -> None:
    try:
        import resource
    except ImportError:  # Windows: the time limit still holds
        return
    extra = int(memory_mb * 2**20)
    try:
        with open("/proc/self/statm") as handle:
            inherited = int(handle.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        inherited = 0
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = inherited + extra
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    try:
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ValueError, OSError):
        pass


def _known_layout(name: str) -> Layout:  # never called: _LayoutUnpickler resolves it
    raise pickle.UnpicklingError(name)


class _LayoutUnpickler(pickle.Unpickler):
    def __init__(self, file, layouts: dict[str, Layout]):
        super().__init__(file)
        self.layouts = layouts

    def find_class(self, module: str, name: str):
        if module == __name__ and name == "_known_layout":
            return self.layouts.__getitem__
        return super().find_class(module, name)
