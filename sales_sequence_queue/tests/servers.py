"""Real Odoo servers running the engine's jobs, for the slow suite and the benchmark.

``OdooServer`` starts an Odoo server (``odoo_server.py``, what ``odoo-bin``
does) in its own process group (prefork: ``--workers``, the queue_job runner
loaded server-wide) on one database;
``kill()`` ends the whole group with SIGKILL, as a crash would. The job runner
of every server sends the jobs to a ``Balancer``, a round-robin TCP proxy in
front of the servers (what a load balancer does in production), which skips a
server that refuses the connection.

``EngineRun`` drives one run: it enqueues the due steps (the engine's cron
method, as the cron job runs it: one commit per batch) and follows the run in
the database with plain SQL until every due step ran.
"""

import contextlib
import itertools
import os
import signal
import socket
import socketserver
import subprocess
import sys
import threading
import time
import urllib.request
from contextlib import closing
from pathlib import Path

import psycopg2

from odoo.sql_db import connection_info_for
from odoo.tools import config

ROOT = Path(__file__).resolve().parents[2]
DRIVER = Path(__file__).resolve().parent / "queue_driver.py"
SERVER = Path(__file__).resolve().parent / "odoo_server.py"  # not ``-m odoo``: see there
TIMEOUT = 600  # seconds for any one command (install, copy)


def config_path():
    return config["config"] or str(ROOT / "var" / "odoo.conf")


def odoo_command(*args, timeout=TIMEOUT):
    """Run ``python -m odoo <args>``; fail loudly."""
    result = subprocess.run(
        [sys.executable, "-m", "odoo", *args],
        cwd=ROOT,
        timeout=timeout,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    if result.returncode:
        raise AssertionError("odoo %s failed:\n%s" % (" ".join(args), result.stdout[-4000:]))


def database_exists(name):
    return bool(query("postgres", "SELECT 1 FROM pg_database WHERE datname = %s", [name]))


def drop_database(name):
    if database_exists(name):
        odoo_command("db", "-c", config_path(), "drop", name)


def copy_database(template, name):
    drop_database(name)
    odoo_command("db", "-c", config_path(), "duplicate", template, name)


def connect(dbname):
    return closing(psycopg2.connect(**connection_info_for(dbname)[1]))


def query(dbname, sql, params=()):
    with connect(dbname) as connection, connection.cursor() as cr:
        cr.execute(sql, params)
        return cr.fetchall()


# ----------------------------------------------------------------------
# Load balancer
# ----------------------------------------------------------------------


class Balancer(socketserver.ThreadingTCPServer):
    """Round-robin TCP proxy on ``127.0.0.1:port`` to the ``backends`` ports."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port, backends):
        self.backends = list(backends)
        self._turn = itertools.count()
        super().__init__(("127.0.0.1", port), _Forward)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    def open_backend(self):
        """A connection to the next server that accepts one."""
        start = next(self._turn)
        for offset in range(len(self.backends)):
            port = self.backends[(start + offset) % len(self.backends)]
            try:
                return socket.create_connection(("127.0.0.1", port), timeout=5)
            except OSError:
                continue
        raise OSError("no server accepts connections")

    def close(self):
        self.shutdown()
        self.server_close()


class _Forward(socketserver.BaseRequestHandler):
    """Copy both ways until each side has closed (a job request keeps running
    on the server after the job runner's short HTTP timeout)."""

    def handle(self):
        try:
            backend = self.server.open_backend()
        except OSError:
            return
        backend.settimeout(None)
        with backend:
            pump = threading.Thread(target=_pump, args=(backend, self.request), daemon=True)
            pump.start()
            _pump(self.request, backend)
            pump.join(timeout=600)


def _pump(source, target):
    """Copy ``source`` to ``target`` until either side closes."""
    with contextlib.suppress(OSError):
        while data := source.recv(65536):
            target.sendall(data)
    with contextlib.suppress(OSError):
        target.shutdown(socket.SHUT_WR)


# ----------------------------------------------------------------------
# Odoo servers
# ----------------------------------------------------------------------


class OdooServer:
    """An Odoo server with ``workers`` HTTP workers and the job runner on
    ``database``; its runner sends jobs to ``runner_port`` (the balancer)."""

    def __init__(self, config, database, port, runner_port, channels, workers=2, logfile=None, cpus=None):
        """``cpus``: the CPU numbers the server and its processes are bound to
        (default: any)."""
        self.config, self.database, self.port, self.cpus = config, database, port, cpus
        self.runner_port, self.channels, self.workers = runner_port, channels, workers
        self.logfile = logfile or str(ROOT / "var" / ("server-%s-%s.log" % (database, port)))
        # each server its own websocket port: a second gevent process unable to
        # bind Odoo's default 8072 dies, and its server starts it again, forever
        self.gevent_port = free_port()
        self.process = None
        self.stderr = self.logfile + ".stderr"  # what is not logged (a process dying at start)
        for path in (self.logfile, self.stderr):
            if os.path.exists(path):
                os.remove(path)  # a new server, a new log (a restart appends)

    def start(self, timeout=120):
        env = dict(
            os.environ,
            ODOO_QUEUE_JOB_CHANNELS=self.channels,
            ODOO_QUEUE_JOB_HOST="127.0.0.1",
            ODOO_QUEUE_JOB_PORT=str(self.runner_port),
        )
        env.pop("SALES_SEQUENCE_SLOW", None)
        if self.cpus:
            env["SALES_SEQUENCE_SERVER_CPUS"] = ",".join(map(str, self.cpus))
        with open(self.stderr, "ab") as stderr:  # the server keeps its own copy
            self.process = subprocess.Popen(
                [sys.executable, str(SERVER), "-c", self.config, *self.options()],
                cwd=ROOT,
                env=env,
                start_new_session=True,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("Odoo server on port %d exited: see %s" % (self.port, self.logfile))
            try:
                with urllib.request.urlopen("http://127.0.0.1:%d/web/health" % self.port, timeout=2):
                    return self
            except OSError:
                time.sleep(0.5)
        raise RuntimeError("Odoo server on port %d did not answer within %ss" % (self.port, timeout))

    def options(self):
        return [
            "-d",
            self.database,
            "--db-filter=^%s$" % self.database,
            "--http-interface=127.0.0.1",
            "--http-port=%d" % self.port,
            "--gevent-port=%d" % self.gevent_port,
            "--workers=%d" % self.workers,
            "--max-cron-threads=0",
            "--load=base,rpc,web,queue_job",
            "--limit-time-real=600",
            "--limit-time-cpu=300",
            "--log-level=warn",
            "--log-handler=odoo.addons.queue_job.jobrunner.runner:INFO",
            "--logfile=%s" % self.logfile,
        ]

    def runs_the_job_runner(self):
        """Whether this server's job runner took the database (one runner is
        active per database; it then reads the jobs to run)."""
        ready = "queue job runner ready for db %s" % self.database
        if not os.path.exists(self.logfile):
            return False
        with open(self.logfile, encoding="utf-8", errors="replace") as log:
            return any(ready in line for line in log)

    def pids(self):
        """The server's processes (master, workers, job runner)."""
        output = subprocess.run(["pgrep", "-g", str(self.process.pid)], capture_output=True, text=True).stdout
        return {int(pid) for pid in output.split()}

    def freeze(self):
        """SIGSTOP to every process of the server: nothing it runs moves on."""
        os.killpg(self.process.pid, signal.SIGSTOP)

    def thaw(self):
        os.killpg(self.process.pid, signal.SIGCONT)

    def kill(self):
        """SIGKILL to every process of the server at once, as a crash would."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=60)

    def stop(self):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.kill()

    def errors(self):
        """ERROR and CRITICAL lines of the server's log, and the tracebacks
        of its standard error (a process that died before it could log)."""
        errors = []
        for path, is_error in (
            (self.logfile, lambda line: " ERROR " in line or " CRITICAL " in line),
            (self.stderr, lambda line: line.startswith("Traceback")),
        ):
            if os.path.exists(path):
                with open(path, encoding="utf-8", errors="replace") as log:
                    errors += [line.rstrip() for line in log if is_error(line)]
        return errors


def free_port():
    """A TCP port of 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_job_runner(servers, timeout=120):
    """Until one of ``servers`` runs the job runner of their database."""
    deadline = time.monotonic() + timeout
    while not any(server.runs_the_job_runner() for server in servers):
        if time.monotonic() > deadline:
            raise RuntimeError("no job runner took the database within %ss" % timeout)
        time.sleep(0.2)


# ----------------------------------------------------------------------
# A run
# ----------------------------------------------------------------------


class EngineRun:
    """Due steps of ``database`` run by the servers' jobs, followed with SQL."""

    def __init__(self, config, database):
        self.config, self.database = config, database
        self.traces_before = self.trace_count()

    def enqueue(self):
        """The engine's cron method in its own process (one commit per batch)."""
        result = subprocess.run(
            [sys.executable, str(DRIVER), "-c", self.config, "-d", self.database, "enqueue"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=600,
        )
        if result.returncode:
            raise RuntimeError("enqueue failed:\n%s" % result.stderr[-4000:])
        return int(result.stdout.split()[-1])

    def trace_count(self):
        return query(self.database, "SELECT COUNT(*) FROM sales_sequence_trace")[0][0]

    def jobs(self):
        """``{state: count}`` of the engine's jobs."""
        return dict(
            query(
                self.database,
                """
            SELECT state, COUNT(*) FROM queue_job WHERE method_name = '_run_due_steps' GROUP BY state
        """,
            )
        )

    def in_flight(self):
        """``{job uuid: worker pid}`` of the engine's jobs running now."""
        return dict(
            query(
                self.database,
                """
            SELECT uuid, worker_pid FROM queue_job WHERE method_name = '_run_due_steps' AND state = 'started'
        """,
            )
        )

    def wait(self, count, timeout=900, progress=None):
        """Until ``count`` new traces exist and no job of the engine is left
        to run; ``progress(done)`` is called at each poll (it may return True
        to stop waiting). Returns the seconds waited."""
        start = time.monotonic()
        while time.monotonic() - start < timeout:
            done = self.trace_count() - self.traces_before
            if progress and progress(done):
                return time.monotonic() - start
            if done >= count and not set(self.jobs()) & {"pending", "enqueued", "started"}:
                return time.monotonic() - start
            time.sleep(0.2)
        raise AssertionError(
            "after %ss: %d of %d steps, jobs %s"
            % (timeout, self.trace_count() - self.traces_before, count, self.jobs())
        )
