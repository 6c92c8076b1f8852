"""What every benchmark needs: its own database, the real processes, samplers and figure lines.

Nothing here imports Django, so a benchmark can choose its database before Django starts.
"""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys
import threading
import time
import uuid
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import quote, unquote, urlsplit

import httpx
import psycopg

PROJECT_DIR = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://mka1:mka1@127.0.0.1:5432/mka1"
# The stand-in and the worker agree on this key; a real MKA1 key is never handed to a bench.
STANDIN_KEY = "bench-standin-key"
# The bench process's own connections carry this name, so connection counts can leave them out.
DRIVER_APPLICATION = "mka1-bench-driver"


# -- figures --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    """One measured value against its target, printed as a `figure:` line.

    A figure without a target (`Figure.record`) is printed for the record only: absolute times
    depend on the machine, so they are judged as ratios to a floor measured in the same run."""

    name: str
    value: float
    unit: str
    op: str = ""  # "<=" or ">="; empty for a figure kept for the record
    limit: float | None = None
    decimals: int = 1

    @classmethod
    def record(cls, name: str, value: float, unit: str, decimals: int = 1) -> Figure:
        return cls(name, value, unit, decimals=decimals)

    @property
    def ok(self) -> bool:
        if self.limit is None:
            return True
        if math.isnan(self.value):
            return False
        shown = round(self.value, self.decimals)  # the verdict agrees with the printed value
        return shown <= self.limit if self.op == "<=" else shown >= self.limit

    def line(self) -> str:
        value = f"{self.value:.{self.decimals}f}"
        if self.limit is None:
            return f"figure: {self.name} {value} {self.unit} (no target: for the record)"
        verdict = "ok" if self.ok else "MISS"
        return f"figure: {self.name} {value} {self.unit} target {self.op} {self.limit:g} {verdict}"


def percentile(values: list[float], share: float) -> float:
    """The value below which `share` of the values fall (linear interpolation, like numpy)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    position = (len(ordered) - 1) * share
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


# -- the benchmark database -----------------------------------------------------------------


@dataclass(frozen=True)
class Database:
    """A PostgreSQL database on the server DATABASE_URL names (the same role and password)."""

    host: str
    port: int
    user: str
    password: str
    name: str

    @classmethod
    def beside(cls, url: str, name: str) -> Database:
        parts = urlsplit(url)
        return cls(
            host=parts.hostname or "127.0.0.1",
            port=parts.port or 5432,
            user=unquote(parts.username or ""),
            password=unquote(parts.password or ""),
            name=name,
        )

    def url(self, application_name: str = "") -> str:
        credentials = f"{quote(self.user, safe='')}:{quote(self.password, safe='')}"
        query = f"?application_name={quote(application_name)}" if application_name else ""
        return f"postgres://{credentials}@{self.host}:{self.port}/{self.name}{query}"

    def connect_maintenance(self, application_name: str) -> psycopg.Connection[Any]:
        """A connection to the `postgres` database: it is never counted among this one's."""
        return psycopg.connect(
            host=self.host,
            port=self.port,
            user=self.user,
            password=self.password,
            dbname="postgres",
            application_name=application_name,
            autocommit=True,
        )

    def create_if_missing(self) -> bool:
        with self.connect_maintenance("mka1-bench-setup") as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (self.name,)
            ).fetchone()
            if exists:
                return False
            # The role has CREATEDB; the new database is owned by it.
            conn.execute(f'CREATE DATABASE "{self.name}"')
            return True


# -- the real processes ---------------------------------------------------------------------


class StandinProcess:
    """`python -m bench.standin`: the stand-in in a process (and a GIL) of its own."""

    def __init__(self, latency: float = 0.0) -> None:
        command = [
            sys.executable, "-m", "bench.standin", "--api-key", STANDIN_KEY,
            "--latency", str(latency),
        ]  # fmt: skip
        self.process = subprocess.Popen(
            command, cwd=PROJECT_DIR, stdout=subprocess.PIPE, text=True, env=_child_env()
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line.startswith("listening "):
            self.stop()
            raise RuntimeError(f"The stand-in did not start: {line!r}")
        self.url = line.split()[1]
        self.address = self.url.removeprefix("http://")
        self.control = httpx.Client(
            base_url=f"{self.url}/_standin/",
            headers={"Authorization": f"Bearer {STANDIN_KEY}"},
            timeout=30,
        )

    def configure(self, **changes: Any) -> None:
        self.control.post("config", json=changes).raise_for_status()

    def requests(self) -> list[dict[str, Any]]:
        response = self.control.get("requests")
        response.raise_for_status()
        return list(response.json())

    def clear_requests(self) -> None:
        self.control.delete("requests").raise_for_status()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@dataclass
class WorkerProcess:
    """A real `celery worker` process, started as tests/conftest.py starts one."""

    env: dict[str, str]
    queue: str
    log_path: Path
    concurrency: int = 100
    extra_args: list[str] = field(default_factory=list)
    process: subprocess.Popen[bytes] | None = None
    command: list[str] = field(default_factory=list)
    log: TextIO | None = None

    def start(self, timeout: float = 60) -> None:
        self.command = [
            sys.executable, "-m", "celery", "-A", "mka1web", "worker",
            "-P", "threads", "-c", str(self.concurrency), "-Q", self.queue,
            "-n", f"bench-{uuid.uuid4().hex[:6]}@%h", "-l", "info",
            "--without-gossip", "--without-mingle", "--without-heartbeat", *self.extra_args,
        ]  # fmt: skip
        self.log = self.log_path.open("w")
        self.process = subprocess.Popen(
            self.command, cwd=PROJECT_DIR, env=self.env, stdout=self.log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if " ready." in self.log_path.read_text(errors="replace"):
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"The Celery worker did not start; see {self.log_path}")

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.log is not None:
            self.log.close()


def worker_env(
    *, database: Database, queue: str, standin: StandinProcess, media_root: Path, **extra: str
) -> dict[str, str]:
    """The worker's environment: the settings `make run` gives it, pointed at the bench's parts."""
    env = {
        **_child_env(),
        "DATABASE_URL": database.url(),
        "CELERY_QUEUE": queue,
        "MKA1_API_URL": standin.url,
        "MKA1_API_KEY": STANDIN_KEY,
        "MKA1_DOWNLOAD_PRIVATE_ALLOWED": standin.address,
        "MEDIA_ROOT": str(media_root),
    }
    env.update(extra)
    return env


def _child_env() -> dict[str, str]:
    env = {**os.environ, "PYTHONPATH": str(PROJECT_DIR)}
    # A real API's address or key in the caller's environment must never reach a bench process.
    for name in ("MKA1_API_URL", "MKA1_API_KEY", "MKA1_DOWNLOAD_HOSTS"):
        env.pop(name, None)
    return env


# -- /proc ----------------------------------------------------------------------------------

_TICKS = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int) -> list[str]:
    with open(f"/proc/{pid}/stat") as stat:
        # The fields after the command name, which is in parentheses and may hold spaces.
        return stat.read().rpartition(")")[2].split()


def parent_pid(pid: int) -> int:
    return int(_stat_fields(pid)[1])


def _processes() -> list[int]:
    return [int(entry.name) for entry in Path("/proc").iterdir() if entry.name.isdigit()]


def _children(pid: int) -> list[int]:
    found = []
    for candidate in _processes():
        with suppress(OSError):
            if parent_pid(candidate) == pid:
                found.append(candidate)
    return found


def pids_named(name: str) -> list[int]:
    """The processes whose command name (/proc/PID/comm) is `name`."""
    found = []
    for candidate in _processes():
        with suppress(OSError), open(f"/proc/{candidate}/comm") as comm:
            if comm.read().strip() == name:
                found.append(candidate)
    return found


def _status_kb(pid: int, field_name: str) -> int:
    with suppress(OSError), open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
    return 0


def process_tree_kb(pid: int, field_name: str = "VmRSS") -> int:
    """A /proc status field (VmRSS, VmHWM) of a process plus all its descendants."""
    total, pending = 0, [pid]
    while pending:
        current = pending.pop()
        total += _status_kb(current, field_name)
        pending.extend(_children(current))
    return total


def cpu_seconds(pid: int, *, with_children: bool = False) -> float:
    """CPU time of a process (all its threads); with_children adds its live children's and
    that of the children it has reaped (how a server's short-lived backends are counted)."""
    try:
        fields = _stat_fields(pid)
    except OSError:
        return 0.0
    ticks = int(fields[11]) + int(fields[12])
    if with_children:
        ticks += int(fields[13]) + int(fields[14])
        for child in _children(pid):
            with suppress(OSError):
                child_fields = _stat_fields(child)
                ticks += int(child_fields[11]) + int(child_fields[12])
    return ticks / _TICKS


def machine_cpu_seconds() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot, all cores together."""
    with open("/proc/stat") as stat:
        values = [int(value) for value in stat.readline().split()[1:]]
    idle = values[3] + values[4]  # idle and iowait
    total = sum(values[:8])  # guest time is already counted in user
    return (total - idle) / _TICKS, total / _TICKS


def machine_busy_share(seconds: float = 2.0) -> float:
    """The share of all CPUs busy over the next `seconds`: other work skews every figure."""
    busy_before, total_before = machine_cpu_seconds()
    time.sleep(seconds)
    busy_after, total_after = machine_cpu_seconds()
    return (busy_after - busy_before) / max(total_after - total_before, 1e-9)


# -- sampling -------------------------------------------------------------------------------


class Sampler(threading.Thread):
    """Samples, every `interval` seconds, the connections open to a database (the bench's own
    left out) and the resident memory of some process trees together, keeping the peaks."""

    def __init__(self, database: Database, pids: list[int], interval: float = 0.05) -> None:
        super().__init__(name="bench-sampler", daemon=True)
        self.database = database
        self.pids = pids
        self.interval = interval
        self.peak_connections = 0
        self.peak_rss_kb = 0
        self._stop_event = threading.Event()
        # Connected to the `postgres` database, so it is not one of the connections it counts.
        self._conn = database.connect_maintenance("mka1-bench-sampler")

    def run(self) -> None:
        query = (
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND application_name <> %s"
        )
        next_tree_scan = 0.0
        while not self._stop_event.is_set():
            started = time.monotonic()
            row = self._conn.execute(query, (self.database.name, DRIVER_APPLICATION)).fetchone()
            self.peak_connections = max(self.peak_connections, int(row[0]) if row else 0)
            # The whole process tree once a second (a /proc scan); the process itself each time.
            if started >= next_tree_scan:
                rss = sum(process_tree_kb(pid) for pid in self.pids)
                next_tree_scan = started + 1.0
            else:
                rss = sum(_status_kb(pid, "VmRSS") for pid in self.pids)
            self.peak_rss_kb = max(self.peak_rss_kb, rss)
            self._stop_event.wait(max(0.0, self.interval - (time.monotonic() - started)))

    def stop(self) -> None:
        self._stop_event.set()
        self.join()
        self._conn.close()


class CpuMeter:
    """CPU seconds spent by named processes (and by the whole machine) between start and stop."""

    def __init__(self, processes: dict[str, tuple[int, bool]]) -> None:
        self.processes = processes  # name -> (pid, with_children)
        self._start: dict[str, float] = {}
        self.spent: dict[str, float] = {}
        self.machine_busy = 0.0
        self.machine_total = 0.0

    def _sample(self) -> dict[str, float]:
        sample = {
            name: cpu_seconds(pid, with_children=children)
            for name, (pid, children) in self.processes.items()
        }
        sample["bench"] = sum(os.times()[:2])
        sample["machine busy"], sample["machine total"] = machine_cpu_seconds()
        return sample

    def start(self) -> None:
        self._start = self._sample()

    def stop(self) -> None:
        end = self._sample()
        spent = {name: end[name] - self._start[name] for name in end}
        self.machine_busy = spent.pop("machine busy")
        self.machine_total = spent.pop("machine total")
        self.spent = spent

    @property
    def other_share(self) -> float:
        """The share of the machine's CPUs that processes outside the run used."""
        other = self.machine_busy - sum(self.spent.values())
        return max(0.0, other) / self.machine_total if self.machine_total else 0.0

    def summary(self) -> str:
        parts = [f"{name} {seconds:.1f} s" for name, seconds in self.spent.items()]
        other = self.machine_busy - sum(self.spent.values())
        share = self.machine_busy / self.machine_total if self.machine_total else 0.0
        line = (
            f"{', '.join(parts)}, everything else {other:.1f} s; the machine was "
            f"{share:.0%} busy ({self.machine_busy:.1f} of {self.machine_total:.1f} CPU-s)"
        )
        if self.other_share > 0.1:
            line += (
                f"\n  note: other work took {self.other_share:.0%} of the CPUs meanwhile; "
                "the figures above are slower than this machine alone gives"
            )
        return line


# -- profiles -------------------------------------------------------------------------------


class Profiler:
    """py-spy sampling some processes until stopped, only the thread holding the interpreter
    lock in each (`--gil`: the work the processes' threads take turns at); then where that time
    went, summed over the processes."""

    def __init__(self, pids: list[int], folder: Path, rate: int = 200) -> None:
        self.outputs = [folder / f"profile-{pid}.txt" for pid in pids]
        py_spy = Path(sys.executable).parent / "py-spy"
        self.processes = [
            subprocess.Popen(
                [
                    str(py_spy),
                    "record",
                    "--pid",
                    str(pid),
                    "--format",
                    "raw",
                    "--rate",
                    str(rate),
                    "--nonblocking",
                    "--output",
                    str(output),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )  # fmt: skip
            for pid, output in zip(pids, self.outputs, strict=True)
        ]

    def stop(self) -> None:
        for process in self.processes:
            process.send_signal(2)  # SIGINT: py-spy writes its file and exits
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()

    def stacks(self) -> dict[tuple[str, ...], int]:
        """Samples per stack (outermost frame first), from py-spy's collapsed output."""
        found: dict[tuple[str, ...], int] = {}
        for output in self.outputs:
            with suppress(OSError), output.open() as lines:
                for line in lines:
                    stack, _, count = line.rstrip("\n").rpartition(" ")
                    if stack and count.isdigit():
                        frames = tuple(stack.split(";"))
                        found[frames] = found.get(frames, 0) + int(count)
        return found

    def summary(self, own_packages: tuple[str, ...], top: int = 12) -> str:
        """The functions with the most samples of their own, and the project's functions with
        the most samples in them or below them."""
        everything = self.stacks()
        # The GIL's holder as py-spy reads it is the last thread that held it, so a process
        # whose threads all wait is sampled in its last waiter: those samples are left out.
        stacks = {
            frames: count
            for frames, count in everything.items()
            if not BLOCKING_LEAF.search(frames[-1].partition(" (")[0])
        }
        total = sum(stacks.values())
        if not total:
            return "  (py-spy recorded no samples)"
        blocked = 1 - total / sum(everything.values())
        own: dict[str, int] = {}
        inclusive: dict[str, int] = {}
        for frames, count in stacks.items():
            own[frames[-1]] = own.get(frames[-1], 0) + count
            for frame in set(frames):
                where = frame.partition(" (")[2]
                if where.startswith(own_packages) or any(
                    f"/{package}" in where for package in own_packages
                ):
                    inclusive[frame] = inclusive.get(frame, 0) + count
        lines = [
            f"  {total} samples of the thread holding the GIL ({blocked:.0%} more were threads "
            "blocked in I/O or a lock, left out); most in the function itself:"
        ]
        for frame, count in sorted(own.items(), key=lambda item: -item[1])[:top]:
            lines.append(f"    {count / total:6.1%}  {_short_frame(frame)}")
        lines.append("  the project's functions, with what they call:")
        for frame, count in sorted(inclusive.items(), key=lambda item: -item[1])[:top]:
            lines.append(f"    {count / total:6.1%}  {_short_frame(frame)}")
        return "\n".join(lines)


# Functions that wait with the GIL released: sockets, selectors, locks, queues.
BLOCKING_LEAF = re.compile(
    r"(^|\.)(wait|_worker|poll|read|readinto|recv|recv_into|_read_from_socket|select|sleep|"
    r"accept|acquire|get)$"
)


def _short_frame(frame: str) -> str:
    """`function (path/to/site-packages/package/module.py:12)` without the long path."""
    name, _, where = frame.partition(" (")
    where = where.rstrip(")")
    for marker in ("site-packages/", "lib/python3.11/", str(PROJECT_DIR) + "/"):
        if marker in where:
            where = where.split(marker, 1)[1]
    return f"{name} ({where})"
