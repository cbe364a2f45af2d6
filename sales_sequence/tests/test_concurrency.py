"""Slow suite: the engine in separate OS processes, with real commits.

Runs only with ``SALES_SEQUENCE_SLOW=1`` (``scripts/test.sh`` sets it unless
``SALES_SEQUENCE_FAST=1``). Each test works on its own copy of a throw-away
database (``ss_bench_conc_<pid>``: sales_sequence installed, 2,000 contacts enrolled
in a sequence whose first step, an email, is due); the engine runs in
``engine_worker.py`` processes, the way its cron job runs it (commit after
every batch). The checks read the database with plain SQL.

These are plain ``unittest.TestCase`` tests: an Odoo ``TransactionCase``
forbids commits, and pytest-odoo only loads the registry of the test database
for them, which these tests never touch.
"""

import logging
import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import unittest
from contextlib import closing
from pathlib import Path

import psycopg2

from odoo.sql_db import connection_info_for
from odoo.tools import config

from odoo.addons.sales_sequence.tests.engine_worker import SEQUENCE_NAME

_logger = logging.getLogger(__name__)

SLOW = os.environ.get("SALES_SEQUENCE_SLOW") == "1"
WORKER = Path(__file__).resolve().parent / "engine_worker.py"
ROOT = Path(__file__).resolve().parents[2]
# per process: runs of the suite on one machine must not drop each other's databases
TEMPLATE = "ss_bench_conc_%d" % os.getpid()
DATABASE = TEMPLATE + "_run"
COUNT = 2000
BATCH_SIZE = 25
TIMEOUT = 600  # seconds for any one step (install, seed, a worker's run)


def config_path():
    return config["config"] or str(ROOT / "var" / "odoo.conf")


def odoo_command(*args, timeout=TIMEOUT):
    """Run ``python -m odoo <args>`` with the test configuration; fail loudly."""
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
    with closing(psycopg2.connect(**connection_info_for("postgres")[1])) as connection:
        with connection.cursor() as cr:
            cr.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            return bool(cr.fetchone())


def drop_database(name):
    if database_exists(name):
        odoo_command("db", "-c", config_path(), "drop", name)


def query(sql, params=()):
    with closing(psycopg2.connect(**connection_info_for(DATABASE)[1])) as connection:
        with connection.cursor() as cr:
            cr.execute(sql, params)
            return cr.fetchall()


class Worker:
    """An ``engine_worker.py`` process whose stdout lines are read as they come."""

    def __init__(self, *args, wait_go=False):
        self.log = tempfile.TemporaryFile("w+")
        self.process = subprocess.Popen(
            [
                sys.executable,
                str(WORKER),
                "-c",
                config_path(),
                "-d",
                DATABASE,
                *args,
                *(["--wait-go"] if wait_go else []),
            ],
            cwd=ROOT,
            text=True,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
        )
        self.lines = queue.Queue()
        self.output = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.process.stdout:
            self.lines.put(line.strip())
        self.lines.put(None)

    def expect(self, word, timeout=TIMEOUT):
        """Lines up to the first one starting with ``word``; return that line's rest."""
        while True:
            try:
                line = self.lines.get(timeout=timeout)
            except queue.Empty:
                raise AssertionError("worker: no %r within %ss\n%s" % (word, timeout, self.stderr())) from None
            if line is None:
                raise AssertionError("worker exited before %r\n%s" % (word, self.stderr()))
            self.output.append(line)
            if line.split(" ", 1)[0] == word:
                return line[len(word) :].strip()

    def go(self):
        self.process.stdin.write("go\n")
        self.process.stdin.flush()

    def batches(self):
        """The enrollment ids of each batch it wrote."""
        return [[int(i) for i in line.split(" ", 1)[1].split(",")] for line in self.output if line.startswith("batch ")]

    def finish(self):
        processed = int(self.expect("done"))
        self.process.wait(timeout=TIMEOUT)
        errors = [line for line in self.stderr().splitlines() if " ERROR " in line or " CRITICAL " in line]
        assert not errors and self.process.returncode == 0, self.stderr()
        return processed

    def kill(self):
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=60)

    def stderr(self):
        self.log.seek(0)
        return self.log.read()[-6000:]

    def close(self):
        if self.process.poll() is None:
            self.kill()
        self.process.stdin.close()
        self.process.stdout.close()
        self.log.close()


@unittest.skipUnless(SLOW, "slow suite: set SALES_SEQUENCE_SLOW=1 to run it")
class TestEngineConcurrency(unittest.TestCase):
    """Exactly once, across processes and crashes."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        drop_database(TEMPLATE)
        odoo_command(
            "-c", config_path(), "-d", TEMPLATE, "-i", "sales_sequence", "--stop-after-init", "--log-level=warn"
        )
        cls.addClassCleanup(drop_database, TEMPLATE)
        seeding = subprocess.run(
            [
                sys.executable,
                str(WORKER),
                "-c",
                config_path(),
                "-d",
                TEMPLATE,
                "seed",
                "--count",
                str(COUNT),
                "--batch-size",
                str(BATCH_SIZE),
            ],
            cwd=ROOT,
            timeout=TIMEOUT,
            capture_output=True,
            text=True,
        )
        assert seeding.returncode == 0, seeding.stderr[-4000:]

    def setUp(self):
        super().setUp()
        drop_database(DATABASE)
        odoo_command("db", "-c", config_path(), "duplicate", TEMPLATE, DATABASE)
        self.addCleanup(drop_database, DATABASE)
        sequence = query("SELECT id FROM sales_sequence WHERE name->>'en_US' = %s", [SEQUENCE_NAME])[0][0]
        self.enrollments = dict(
            query(
                "SELECT id, partner_id FROM sales_sequence_enrollment WHERE sequence_id = %s AND state = 'active'",
                [sequence],
            )
        )
        self.first_step, self.second_step = [
            row[0]
            for row in query(
                "SELECT id FROM sales_sequence_step WHERE sequence_id = %s ORDER BY sequence, id", [sequence]
            )
        ]
        self.assertEqual(len(self.enrollments), COUNT)
        self.mails_before = query("SELECT COALESCE(MAX(id), 0) FROM mail_mail")[0][0]

    def start_worker(self, *args, **kwargs):
        worker = Worker("work", *args, **kwargs)
        self.addCleanup(worker.close)
        return worker

    # ------------------------------------------------------------------
    # Checks (plain SQL on the worked database)
    # ------------------------------------------------------------------

    def new_mails(self):
        return query("SELECT COUNT(*) FROM mail_mail WHERE id > %s", [self.mails_before])[0][0]

    def assertEachStepRanOnce(self):
        """One trace of the first step per enrollment, with its own email; one
        email per contact; every enrollment moved on to the second step."""
        traces = query("""
            SELECT trace.enrollment_id, trace.step_id, trace.state, message.model, message.res_id
              FROM sales_sequence_trace trace
              LEFT JOIN mail_mail mail ON mail.id = trace.mail_mail_id
              LEFT JOIN mail_message message ON message.id = mail.mail_message_id
        """)
        self.assertEqual(len(traces), COUNT, "one trace per enrollment")
        self.assertEqual(
            {trace[0]: trace[1:] for trace in traces},
            {
                enrollment: (self.first_step, "sent", "res.partner", partner)
                for enrollment, partner in self.enrollments.items()
            },
        )
        mails = dict(
            query(
                """
            SELECT message.res_id, COUNT(*)
              FROM mail_mail mail JOIN mail_message message ON message.id = mail.mail_message_id
             WHERE mail.id > %s AND message.model = 'res.partner'
          GROUP BY message.res_id
        """,
                [self.mails_before],
            )
        )
        self.assertEqual(self.new_mails(), COUNT, "exactly one email per enrollment")
        self.assertEqual(mails, dict.fromkeys(self.enrollments.values(), 1), "no contact emailed twice")
        moved = query(
            """
            SELECT COUNT(*) FROM sales_sequence_enrollment
             WHERE state = 'active' AND step_id = %s AND next_run_at IS NOT NULL
        """,
            [self.second_step],
        )
        self.assertEqual(moved[0][0], COUNT, "every enrollment waits for its second step")

    # ------------------------------------------------------------------
    # Tests
    # ------------------------------------------------------------------

    def test_two_workers_share_the_due_steps(self):
        workers = [self.start_worker(wait_go=True) for _index in range(2)]
        for worker in workers:
            worker.expect("ready")
        for worker in workers:
            worker.go()
        processed = [worker.finish() for worker in workers]
        retries = [line for worker in workers for line in worker.output if line.startswith("retry")]
        _logger.info(
            "two workers: %s enrollments each, runs retried after a concurrency error: %s", processed, retries or "none"
        )
        self.assertEqual(sum(processed), COUNT)
        self.assertTrue(all(processed), "both workers took part: %s" % processed)
        batches = [set(batch) for worker in workers for batch in worker.batches()]
        self.assertEqual(sum(map(len, batches)), COUNT, "no enrollment in two batches")
        self.assertEqual(set().union(*batches), set(self.enrollments))
        self.assertEachStepRanOnce()

    def test_killed_worker_repeats_and_loses_nothing(self):
        worker = self.start_worker("--hold-batch", "2")
        worker.expect("hold")  # batch 1 committed, batch 2 written, not committed
        committed, held = worker.batches()
        traced = {row[0] for row in query("SELECT enrollment_id FROM sales_sequence_trace")}
        self.assertEqual(traced, set(committed))
        worker.kill()
        traced = {row[0] for row in query("SELECT enrollment_id FROM sales_sequence_trace")}
        self.assertEqual(traced, set(committed), "the killed batch left nothing behind")
        self.assertEqual(self.new_mails(), len(committed))
        restarted = self.start_worker()
        self.assertEqual(restarted.finish(), COUNT - len(committed))
        redone = {i for batch in restarted.batches() for i in batch}
        self.assertTrue(set(held) <= redone, "the killed batch ran again")
        self.assertFalse(set(committed) & redone, "the committed batch did not run again")
        self.assertEachStepRanOnce()
