"""Helpers for killing processes in the middle of their Postgres work.

A process under test runs in its own session (process group), so the test kills exactly its own
processes; its backends are found in ``pg_stat_activity`` of the test's own database (one per
pytest process), by what they run and wait for.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable

import psycopg


def closed_port() -> int:
    """A local TCP port nothing listens on: a client sees it as a stopped server."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def backends(conn: psycopg.Connection, where: str, params: tuple = ()) -> list[tuple]:
    """(pid, state, wait_event_type, query) of the backends of this database matching ``where``."""
    return conn.execute(
        "SELECT pid, state, wait_event_type, query FROM pg_stat_activity "
        f"WHERE datname = current_database() AND pid <> pg_backend_pid() AND ({where})",
        params,
    ).fetchall()


def wait_for(
    condition: Callable[[], object],
    proc: subprocess.Popen | None,
    what: str,
    timeout_s: float = 600.0,
    every_s: float = 0.05,
) -> object:
    """Poll ``condition`` until it returns something truthy; fail if ``proc`` ends first."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = condition()
        if value:
            return value
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"the process ended (exit {proc.returncode}) before {what}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(every_s)


def kill_group(proc: subprocess.Popen) -> None:
    """SIGKILL the process group the test started (never anything else), and reap it."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the process finished before the kill"


def wait_gone(conn: psycopg.Connection, pids: list[int], timeout_s: float = 60.0) -> None:
    """Wait until Postgres has noticed the dead client and ended (rolled back) its backends."""
    wait_for(
        lambda: not backends(conn, "pid = ANY(%s)", (pids,)),
        None,
        f"backends {pids} to end after their client died",
        timeout_s,
        every_s=0.2,
    )


class TcpProxy:
    """A TCP forwarder to ``target`` that the test can cut: the service "goes down" mid-run.

    ``stop`` closes the listening socket and every open connection, so from the client's side
    the server vanished: open connections break, new ones are refused.
    """

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.sockets: list[socket.socket] = []
        self.lock = threading.Lock()
        self.stopped = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return  # stopped
            try:
                upstream = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            with self.lock:
                if self.stopped:
                    client.close()
                    upstream.close()
                    return
                self.sockets += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def stop(self) -> None:
        with self.lock:
            self.stopped = True
            self.listener.close()
            for sock in self.sockets:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
