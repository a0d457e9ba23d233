"""`main.py serve --workers N`: N worker processes taking webhooks on one port.

This process, the supervisor, serves nothing itself. It opens one listening socket per
worker slot on ``server.host:server.port``, all with SO_REUSEPORT, and starts in each slot a
worker: ``main.py serve`` again, handed its slot's socket (hidden ``--socket-fd``). The
kernel spreads new connections over the slots' sockets by a hash of their addresses, so
the workers get about the same share, and a connection stays with one worker.

- A worker that dies (killed, crashed) is started again in its slot on the same socket,
  after ``RESTART_PAUSE`` seconds, doubled each time it dies again before it served
  (a crash at start; up to ``RESTART_MAX``). One killed while serving (OOM, kill -9) is
  started again after the short pause, however often it happens. The supervisor keeps
  every socket open, so connections that arrive for a slot whose worker is down wait in
  that socket's queue: none is refused.
- A worker that fails at its first start (exit code 1 or 2: bad config, flows, a schema
  that is behind) will fail again: the supervisor stops the others and exits with that
  code (the worker said why on stderr, which they share).
- SIGTERM or SIGINT: passed on to every worker as SIGTERM (each lets its requests in hand
  finish and closes its store), waited for, then exit 0. A second SIGINT passes SIGINT on
  (a worker stops at once). Workers get SIGTERM too if the supervisor itself dies
  (``PR_SET_PDEATHSIG``).

A worker says it is serving by writing one byte to a pipe (hidden ``--ready-fd``).
Only a shared store can take several workers: the embedded TinyDB store is one process by
design (it holds a lock on ``data/``), so `check_store` refuses it with what to do instead.
"""

from __future__ import annotations

import ctypes
import logging
import os
import select
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[1]
RESTART_PAUSE = 0.25  # seconds before a dead worker is started again
RESTART_MAX = 30.0  # the longest pause, for a worker that keeps dying before it serves
STOP_WAIT = 90.0  # seconds workers get to finish after SIGTERM before SIGKILL
BACKLOG = 2048
SHARED_BACKENDS = ("postgres",)
PR_SET_PDEATHSIG = 1


def check_store(config: dict[str, Any], workers: int) -> str | None:
    """Why ``workers`` workers cannot run on this config's store (None: they can)."""
    backend = str((config.get("storage") or {}).get("backend", "tinydb"))
    if workers <= 1 or backend in SHARED_BACKENDS:
        return None
    what = {"tinydb": "the embedded TinyDB store serves one process (it holds a lock on "
                      "its data folder)",
            "memory": "the memory store lives inside one process"}.get(
        backend, f"storage.backend {backend} is not shared between processes")
    return (f"serve --workers {workers}: {what}. Several workers need a shared store: set "
            "storage.backend: postgres and storage.dsn (README, \"PostgreSQL\"), run "
            "`python3 main.py db upgrade`, then start again; or run serve without --workers.")


def check_free(host: str, port: int) -> None:
    """OSError if something listens on ``host:port`` already: SO_REUSEPORT would otherwise
    let our sockets share the port with it (another `serve --workers` left running)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host, port))


def listening_socket(host: str, port: int) -> socket.socket:
    """A socket listening on ``host:port`` that other SO_REUSEPORT sockets may share."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(BACKLOG)
    sock.set_inheritable(True)
    return sock


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    """In the child, before exec: SIGTERM when the supervisor dies."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


@dataclass
class Slot:
    """One worker's place: its socket, and the process running in it now."""

    number: int
    sock: socket.socket
    proc: subprocess.Popen[bytes] | None = None
    ready_fd: int | None = None  # our end of the pipe it says "serving" on
    ready: bool = False  # this process said it serves
    served_once: bool = False  # some process in this slot has served
    started: float = 0.0
    pause: float = RESTART_PAUSE
    young: int = 0  # deaths in a row before serving
    restart_at: float | None = None


class Supervisor:
    """Starts, watches and stops the workers (see the module's docstring)."""

    def __init__(self, workers: int, host: str, port: int, worker_argv: list[str]) -> None:
        self.worker_argv = worker_argv
        check_free(host, port)
        self.slots = [Slot(n, listening_socket(host, port)) for n in range(1, workers + 1)]
        self.stopping: str | None = None  # why we stop (the signal's name)
        self.signals: list[int] = []  # received, not yet acted on
        self.interrupts = 0
        self.exit_code = 0

    # -- the workers --------------------------------------------------------------------
    def start(self, slot: Slot) -> None:
        read_end, write_end = os.pipe()
        argv = [*self.worker_argv, "--socket-fd", str(slot.sock.fileno()),
                "--ready-fd", str(write_end), "--worker-slot", str(slot.number)]
        slot.proc = subprocess.Popen(argv, cwd=os.getcwd(), stdin=subprocess.DEVNULL,
                                     pass_fds=(slot.sock.fileno(), write_end),
                                     preexec_fn=_die_with_parent)
        os.close(write_end)
        slot.ready_fd, slot.ready = read_end, False
        slot.started, slot.restart_at = time.monotonic(), None
        log.info("worker %d started (pid %d)", slot.number, slot.proc.pid)

    def _close_ready(self, slot: Slot) -> None:
        if slot.ready_fd is not None:
            os.close(slot.ready_fd)
            slot.ready_fd = None

    def _reap(self, slot: Slot, now: float) -> None:
        """A worker that ended: start it again later, or stop everything."""
        assert slot.proc is not None
        code = slot.proc.returncode
        pid = slot.proc.pid
        slot.proc = None
        self._close_ready(slot)
        if self.stopping:
            return
        if not slot.served_once and code in (1, 2):  # it said why on stderr
            log.error("worker %d (pid %d) could not start (exit %d): stopping", slot.number,
                      pid, code)
            self.exit_code = code
            self.stop("a worker that cannot start")
            return
        how = f"killed by {signal.Signals(-code).name}" if code < 0 else f"exit {code}"
        slot.young = 0 if slot.ready else slot.young + 1  # died serving: no crash loop
        slot.pause = min(RESTART_PAUSE * 2 ** max(0, slot.young - 1), RESTART_MAX)
        slot.restart_at = now + slot.pause
        log.warning("worker %d (pid %d) ended (%s); starting it again in %.1f s",
                    slot.number, pid, how, slot.pause)

    def _readiness(self, timeout: float) -> None:
        """Wait up to ``timeout`` for a worker to say it serves (or for its pipe to close)."""
        fds = {s.ready_fd: s for s in self.slots if s.ready_fd is not None and not s.ready}
        if not fds:
            time.sleep(timeout)
            return
        try:
            readable, _, _ = select.select(list(fds), [], [], timeout)
        except InterruptedError:  # pragma: no cover - PEP 475 retries select
            return
        for fd in readable:
            slot = fds[fd]
            if os.read(fd, 1):
                slot.ready = slot.served_once = True
                log.info("worker %d serving", slot.number)
            self._close_ready(slot)

    # -- stopping -----------------------------------------------------------------------
    def on_signal(self, sig: int, frame: Any) -> None:
        """Noted only: the loop acts on it (within 0.1 s), outside the handler."""
        self.signals.append(sig)

    def _take_signals(self) -> None:
        while self.signals:
            sig = self.signals.pop(0)
            if sig == signal.SIGINT:
                self.interrupts += 1
                if self.interrupts > 1:  # a second Ctrl-C: stop now
                    self._signal_all(signal.SIGINT)
                    continue
            self.stop(signal.Signals(sig).name)

    def stop(self, why: str) -> None:
        if self.stopping:
            return
        self.stopping = why
        log.info("stopping the workers (%s)", why)
        self._signal_all(signal.SIGTERM)

    def _signal_all(self, sig: int) -> None:
        for slot in self.slots:
            if slot.proc is not None and slot.proc.poll() is None:
                slot.proc.send_signal(sig)

    # -- the loop -----------------------------------------------------------------------
    def run(self) -> int:
        original = {sig: signal.signal(sig, self.on_signal)
                    for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            for slot in self.slots:
                self.start(slot)
            while not self.stopping:
                self._readiness(0.1)
                self._take_signals()
                now = time.monotonic()
                for slot in self.slots:
                    if slot.proc is not None and slot.proc.poll() is not None:
                        self._reap(slot, now)
                    elif (slot.proc is None and slot.restart_at is not None
                          and now >= slot.restart_at and not self.stopping):
                        self.start(slot)
            self._wait_all()
        finally:
            for sig, handler in original.items():
                signal.signal(sig, handler)
            for slot in self.slots:
                self._close_ready(slot)
                slot.sock.close()
        log.info("all workers stopped (%s)", self.stopping)
        return self.exit_code

    def _wait_all(self) -> None:
        """Wait for every worker to end (a second Ctrl-C meanwhile stops them at once);
        one still running after STOP_WAIT seconds is killed."""
        deadline = time.monotonic() + STOP_WAIT
        while any(s.proc is not None and s.proc.poll() is None for s in self.slots):
            if time.monotonic() > deadline:
                for slot in self.slots:
                    if slot.proc is not None and slot.proc.poll() is None:
                        log.error("worker %d did not stop in %.0f s: killed", slot.number,
                                  STOP_WAIT)
                        slot.proc.kill()
                        slot.proc.wait()
                break
            time.sleep(0.05)
            self._take_signals()
        for slot in self.slots:
            code = slot.proc.returncode if slot.proc is not None else 0
            if code not in (0, -signal.SIGTERM, -signal.SIGINT):
                log.warning("worker %d ended with %s", slot.number, code)


def worker_argv(args: Any) -> list[str]:
    """The command line of a worker: this `serve`, without ``--workers``."""
    argv = [sys.executable, str(ROOT / "main.py")]
    if getattr(args, "config", None):
        argv += ["--config", str(Path(args.config).resolve())]
    if getattr(args, "verbose", False):
        argv.append("-v")
    serve = ["serve"]
    if getattr(args, "port", None) is not None:
        serve += ["--port", str(args.port)]
    return [*argv, *serve]


def supervise(config: dict[str, Any], args: Any) -> int:
    """Run ``args.workers`` workers until SIGTERM/SIGINT; the exit code of `serve`."""
    workers = int(args.workers)
    problem = check_store(config, workers)
    if problem:
        print(problem, file=sys.stderr)
        return 2
    host, port = config["server"]["host"], int(config["server"]["port"])
    try:
        supervisor = Supervisor(workers, host, port, worker_argv(args))
    except OSError as exc:
        print(f"serve: cannot listen on {host}:{port}: {exc.strerror}", file=sys.stderr)
        return 1
    log.info("%d workers on http://%s:%s", workers, host, port)
    return supervisor.run()


def announce_ready(fd: int | None) -> None:
    """In a worker: tell the supervisor this worker serves (once)."""
    if fd is None:
        return
    try:
        os.write(fd, b"1")
    except OSError:  # the supervisor is gone: PR_SET_PDEATHSIG ends us soon
        pass
    finally:
        os.close(fd)
