"""Slow suite: the engine's jobs run by two real Odoo servers on one database.

Runs only with ``SALES_SEQUENCE_SLOW=1`` (``scripts/test.sh`` sets it unless
``SALES_SEQUENCE_FAST=1``). A throw-away database (``ss_queue_proc_<pid>``:
sales_sequence_queue installed, ``COUNT`` contacts enrolled by sales_sequence's
``engine_worker.py seed`` in a sequence whose first step, an email, is due) is
copied for each test; two Odoo servers (``--workers=2``, the
queue_job runner loaded) serve it behind a round-robin balancer, the engine's
cron method enqueues the due steps in another process, and the checks read the
database with plain SQL. Ports: ``SALES_SEQUENCE_QUEUE_PORTS`` (three free
ports, default 8177,8178,8179).

``COUNT`` is 2,000 (the benchmark runs 20,000, which takes a few minutes per
run on two cores: too long for every CI run).

These are plain ``unittest.TestCase`` tests, as in sales_sequence's
test_concurrency.py: the servers commit.
"""

import logging
import os
import subprocess
import sys
import time
import unittest

from odoo.addons.sales_sequence.tests.engine_worker import SEQUENCE_NAME
from odoo.addons.sales_sequence_queue.tests.servers import (
    ROOT,
    Balancer,
    EngineRun,
    OdooServer,
    config_path,
    copy_database,
    drop_database,
    odoo_command,
    query,
)

_logger = logging.getLogger(__name__)

SLOW = os.environ.get("SALES_SEQUENCE_SLOW") == "1"
WORKER = ROOT / "sales_sequence" / "tests" / "engine_worker.py"
TEMPLATE = "ss_queue_proc_%d" % os.getpid()
DATABASE = TEMPLATE + "_run"
COUNT = 2000
BATCH_SIZE = 100  # 20 jobs
PORTS = [int(port) for port in os.environ.get("SALES_SEQUENCE_QUEUE_PORTS", "8177,8178,8179").split(",")]
CHANNELS = "root:4,root.sales_sequence:4"
TIMEOUT = 600


@unittest.skipUnless(SLOW, "slow suite: set SALES_SEQUENCE_SLOW=1 to run it")
class TestQueueProcesses(unittest.TestCase):
    """Exactly once across servers, and after a server crash."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        drop_database(TEMPLATE)
        odoo_command(
            "-c", config_path(), "-d", TEMPLATE, "-i", "sales_sequence_queue", "--stop-after-init", "--log-level=warn"
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
        copy_database(TEMPLATE, DATABASE)
        self.addCleanup(drop_database, DATABASE)
        sequence = query(DATABASE, "SELECT id FROM sales_sequence WHERE name->>'en_US' = %s", [SEQUENCE_NAME])[0][0]
        self.enrollments = dict(
            query(
                DATABASE,
                """
            SELECT id, partner_id FROM sales_sequence_enrollment WHERE sequence_id = %s AND state = 'active'
        """,
                [sequence],
            )
        )
        self.first_step, self.second_step = [
            row[0]
            for row in query(
                DATABASE, "SELECT id FROM sales_sequence_step WHERE sequence_id = %s ORDER BY sequence, id", [sequence]
            )
        ]
        self.assertEqual(len(self.enrollments), COUNT)
        self.mails_before = query(DATABASE, "SELECT COALESCE(MAX(id), 0) FROM mail_mail")[0][0]
        self.balancer = Balancer(PORTS[0], PORTS[1:])
        self.addCleanup(self.balancer.close)
        self.servers = [self.start_server(port) for port in PORTS[1:]]

    def start_server(self, port):
        server = OdooServer(config_path(), DATABASE, port, runner_port=PORTS[0], channels=CHANNELS)
        self.addCleanup(server.stop)
        return server.start()

    def assertEachStepRanOnce(self, run):
        """One trace of the first step per enrollment, with its own email; one
        email per contact; every enrollment waits for its second step; every
        job done, and the servers logged no error."""
        traces = query(
            DATABASE,
            """
            SELECT trace.enrollment_id, trace.step_id, trace.state, message.model, message.res_id
              FROM sales_sequence_trace trace
              LEFT JOIN mail_mail mail ON mail.id = trace.mail_mail_id
              LEFT JOIN mail_message message ON message.id = mail.mail_message_id
        """,
        )
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
                DATABASE,
                """
            SELECT message.res_id, COUNT(*)
              FROM mail_mail mail JOIN mail_message message ON message.id = mail.mail_message_id
             WHERE mail.id > %s AND message.model = 'res.partner'
          GROUP BY message.res_id
        """,
                [self.mails_before],
            )
        )
        self.assertEqual(mails, dict.fromkeys(self.enrollments.values(), 1), "one email per contact")
        moved = query(
            DATABASE,
            """
            SELECT COUNT(*) FROM sales_sequence_enrollment
             WHERE state = 'active' AND step_id = %s AND next_run_at IS NOT NULL AND queue_job_uuid IS NULL
        """,
            [self.second_step],
        )
        self.assertEqual(moved[0][0], COUNT, "every enrollment waits for its second step, unclaimed")
        self.assertEqual(set(run.jobs()), {"done"}, run.jobs())
        for server in self.servers:
            self.assertEqual(server.errors(), [], server.logfile)

    # ------------------------------------------------------------------

    def test_two_servers_run_each_step_once(self):
        run = EngineRun(config_path(), DATABASE)
        start = time.monotonic()
        self.assertEqual(run.enqueue(), COUNT)
        run.wait(COUNT, timeout=TIMEOUT)
        _logger.info("two servers: %d steps in %.1f s", COUNT, time.monotonic() - start)
        workers = {
            pid
            for (pid,) in query(
                DATABASE,
                """
            SELECT DISTINCT worker_pid FROM queue_job WHERE method_name = '_run_due_steps'
        """,
            )
        }
        for server in self.servers:
            self.assertTrue(workers & server.pids(), "every server ran jobs")
        self.assertEachStepRanOnce(run)

    def test_a_killed_server_loses_nothing_and_repeats_nothing(self):
        run = EngineRun(config_path(), DATABASE)
        self.assertEqual(run.enqueue(), COUNT)
        victim = self.servers[0]
        interrupted = {}

        def kill_mid_job(done):
            """Once a quarter is done, SIGKILL the first server while it runs a
            job (frozen first, so that what runs is what gets killed)."""
            if done < COUNT // 4:
                return False
            victim.freeze()
            pids = victim.pids()
            running = {uuid for uuid, pid in run.in_flight().items() if pid in pids}
            if not running:
                victim.thaw()
                return False
            victim.kill()
            interrupted.update(dict.fromkeys(running, done))
            return True

        run.wait(COUNT, timeout=TIMEOUT, progress=kill_mid_job)
        self.assertTrue(interrupted, "the server was killed during a job")
        time.sleep(1)
        victim.start()
        run.wait(COUNT, timeout=TIMEOUT)
        rerun = query(
            DATABASE,
            "SELECT uuid FROM queue_job WHERE uuid IN %s AND state = 'done' AND retry > 1",
            [tuple(interrupted)],
        )
        _logger.info(
            "killed server: %d jobs interrupted after %d steps, %d of them ran again",
            len(interrupted),
            min(interrupted.values()),
            len(rerun),
        )
        self.assertTrue(rerun, "an interrupted job ran again after the crash")
        self.assertEachStepRanOnce(run)
