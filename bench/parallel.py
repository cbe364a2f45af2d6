"""The engine spread over real Odoo servers (sales_sequence_queue + OCA queue_job).

A database with sales_sequence_queue installed (template ``<db>_queue_template``)
gets the benchmark's sender and sequence and ``--parallel`` contacts (20,000 by
default) enrolled, their first step (an email) due: ``<db>_queue_seed``. Each
run works on a fresh copy of it (``<db>_queue``):

  cron_engine_s    the cron engine, what one ir.cron worker does: ``_cron_process_due``
                   in the cron's context (a commit per batch), in this process
  one_server_s     one Odoo server (--workers=2, the queue_job runner
                   loaded, channel root.sales_sequence:2), bound to half of the
                   CPUs (one core of two), runs the jobs that the
                   cron method ``_cron_enqueue_due`` enqueues (in this process, a
                   commit per batch); timed from the enqueue to the last step done
  two_servers_s    the same with two servers (channel capacity 4), each bound
                   to its own half of the CPUs (two machines on one), behind a
                   round-robin balancer, where both job runners send the jobs
  parallel_speedup one_server_s / two_servers_s
  enqueue_s        the cron method's part: claiming the due enrollments and
                   enqueuing their jobs (while the first jobs already run)
  killed_server_s  two servers, one SIGKILLed (all its processes) while it runs
                   jobs once a quarter of the steps are done, restarted 1 s later

With ``--rounds R``, the first three run R times, alternating, and each
figure is the best of its runs (the machine's other load hits them alike).

Every run checks that each enrollment ran its step once (one trace, one email
per contact, every enrollment waiting for its second step, unclaimed), that
every job is done and that the servers logged no error.
"""

import os
import time

import dbtools
import fixtures
import measures

import odoo
from odoo import fields

from odoo.addons.sales_sequence_queue.tests.servers import (
    Balancer,
    EngineRun,
    OdooServer,
    query,
    wait_for_job_runner,
)

MODULES = ("sales_sequence_queue",)


def machines(count=2):
    """The CPUs of this process split in ``count`` equal shares: each server
    runs on a share of its own, as on a machine of its own (one core each on a
    2-core machine); PostgreSQL and the benchmark's process are not bound."""
    cpus = sorted(os.sched_getaffinity(0))
    share = max(1, len(cpus) // count)
    return [cpus[index * share : (index + 1) * share] or cpus for index in range(count)]


class ParallelBench:
    def __init__(self, args, say, check):
        self.args, self.say, self.check = args, say, check
        self.count = args.parallel
        self.seed = args.db + "_queue_seed"
        self.database = args.db + "_queue"
        self.balancer_port, *self.server_ports = args.ports
        self.results = {}

    def run(self):
        self.prepare_seed()
        try:
            # on a shared machine, the best of a few alternating rounds: the
            # other load hits each run alike
            for _round in range(self.args.rounds):
                for name, run in (
                    ("cron_engine_s", self.run_cron_engine),
                    ("one_server_s", lambda: self.run_servers(1)),
                    ("two_servers_s", lambda: self.run_servers(2)),
                ):
                    seconds = run()
                    self.results[name] = min(seconds, self.results.get(name, seconds))
            if not self.args.no_kill:
                self.results["killed_server_s"] = self.run_servers(2, kill=True)
        finally:
            if not self.args.keep:
                dbtools.drop_database(self.seed)
                dbtools.drop_database(self.database)
        return self.results

    # ------------------------------------------------------------------

    def prepare_seed(self):
        template = dbtools.ensure_template(
            self.args.db + "_queue_template", self.args.config, fresh=self.args.fresh, modules=MODULES
        )
        self.say("parallel: %d contacts enrolled in %s (untimed)" % (self.count, self.seed))
        dbtools.copy_database(template, self.seed)
        with dbtools.environment(self.seed) as env:
            env["ir.config_parameter"].set_param("sales_sequence.batch_size", self.args.batch_size or 200)
            sender = fixtures.create_sender(env)
            partners = fixtures.create_contacts(env, self.count, sender)
            sequence = fixtures.create_sequence(env, sender)
            enrolled = sequence.enroll(partners)["enrolled"]
            self.check(len(enrolled) == self.count, "parallel: %d enrolled" % len(enrolled))
            env.cr.commit()
            self.first_step, self.second_step = sequence.step_ids.sorted("sequence")[:2].ids
        odoo.sql_db.close_db(self.seed)

    def fresh_copy(self):
        dbtools.copy_database(self.seed, self.database)
        self.mails_before = query(self.database, "SELECT COALESCE(MAX(id), 0) FROM mail_mail")[0][0]

    def run_cron_engine(self):
        self.say("cron_engine_s: the cron engine alone runs the %d due steps" % self.count)
        self.fresh_copy()
        with dbtools.environment(self.database) as env:
            measure, processed = measures.process_due(env, fields.Datetime.now())
        odoo.sql_db.close_db(self.database)
        self.check(processed == self.count, "cron engine: %d processed" % processed)
        self.check_each_step_ran_once(jobs=False)
        return measure.seconds

    def run_servers(self, count, kill=False):
        label = "killed_server_s" if kill else ("one_server_s" if count == 1 else "two_servers_s")
        self.say(
            "%s: %d server(s) run the %d due steps%s"
            % (label, count, self.count, ", one killed mid-run" if kill else "")
        )
        self.fresh_copy()
        ports = self.server_ports[:count]
        balancer = Balancer(self.balancer_port, ports)
        channels = "root:%d,root.sales_sequence:%d" % (2 * count, 2 * count)
        servers = [
            OdooServer(self.args.config, self.database, port, self.balancer_port, channels, cpus=cpus)
            for port, cpus in zip(ports, machines(), strict=False)
        ]
        try:
            for server in servers:
                server.start()
            wait_for_job_runner(servers)
            run = EngineRun(self.args.config, self.database)
            start = time.perf_counter()
            enqueued = self.enqueue()
            self.check(enqueued == self.count, "%s: %d enqueued" % (label, enqueued))
            enqueue_seconds = time.perf_counter() - start
            self.results["enqueue_s"] = min(enqueue_seconds, self.results.get("enqueue_s", enqueue_seconds))
            if kill:
                self.kill_one_mid_run(run, servers[0])
            run.wait(self.count)
            seconds = time.perf_counter() - start
            self.check_each_step_ran_once(run=run, servers=servers)
        finally:
            for server in servers:
                server.stop()
            balancer.close()
        return seconds

    def enqueue(self):
        """The cron method, as the cron job runs it (a commit per batch)."""
        with dbtools.environment(self.database) as env:
            Enrollment = measures.cron_model(env)
            enqueued = Enrollment._cron_enqueue_due()
            env.cr.commit()
        odoo.sql_db.close_db(self.database)
        return enqueued

    def kill_one_mid_run(self, run, victim):
        """Once a quarter is done, SIGKILL ``victim`` while it runs a job (frozen
        first, so that the jobs seen running are the ones killed); restart it."""
        killed = {}

        def kill(done):
            if done < self.count // 4:
                return False
            victim.freeze()
            pids = victim.pids()
            running = [uuid for uuid, pid in run.in_flight().items() if pid in pids]
            if not running:
                victim.thaw()
                return False
            victim.kill()
            killed.update(dict.fromkeys(running, done))
            return True

        run.wait(self.count, progress=kill)
        self.check(killed, "killed_server_s: the server was killed while running a job")
        time.sleep(1)
        victim.start()
        self.killed_jobs = killed

    # ------------------------------------------------------------------

    def check_each_step_ran_once(self, run=None, servers=(), jobs=True):
        db, count = self.database, self.count
        traces = query(
            db,
            "SELECT COUNT(*), COUNT(DISTINCT enrollment_id) FROM sales_sequence_trace "
            "WHERE step_id = %s AND state = 'sent'",
            [self.first_step],
        )[0]
        self.check(traces == (count, count), "one trace per enrollment: %s for %d" % (traces, count))
        mails = query(
            db,
            """
            SELECT COUNT(*), COUNT(DISTINCT message.res_id)
              FROM mail_mail mail JOIN mail_message message ON message.id = mail.mail_message_id
             WHERE mail.id > %s AND message.model = 'res.partner'
        """,
            [self.mails_before],
        )[0]
        self.check(mails == (count, count), "one email per contact: %s for %d" % (mails, count))
        moved = query(
            db,
            """
            SELECT COUNT(*) FROM sales_sequence_enrollment
             WHERE state = 'active' AND step_id = %s AND next_run_at IS NOT NULL AND queue_job_uuid IS NULL
        """,
            [self.second_step],
        )[0][0]
        self.check(moved == count, "%d enrollments of %d wait for their second step" % (moved, count))
        if jobs:
            self.check(set(run.jobs()) == {"done"}, "jobs: %s" % run.jobs())
        for server in servers:
            self.check(not server.errors(), "errors in %s" % server.logfile)
