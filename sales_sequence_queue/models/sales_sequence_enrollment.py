import logging
from datetime import timedelta

from odoo import SUPERUSER_ID, api, fields, models
from odoo.tools import SQL

from odoo.addons.queue_job.job import identity_exact

_logger = logging.getLogger(__name__)

# a job in one of these states will still run: the enrollments it claimed are its own
LIVE_JOB_STATES = ("wait_dependencies", "pending", "enqueued", "started")
DEFAULT_STALLED_MINUTES = 15


class SalesSequenceEnrollment(models.Model):
    """The engine's due work as ``queue_job`` jobs.

    The cron job no longer runs the steps: ``_cron_enqueue_due`` claims the
    due enrollments in batches (each enrollment is claimed by one live job at
    most) and enqueues one job per batch on the channel ``root.sales_sequence``;
    the job runner hands the jobs to the HTTP workers of every Odoo server,
    as many at once as the channel's capacity allows. A job locks those of
    its enrollments that are still due (``FOR UPDATE SKIP LOCKED``) and runs
    their steps with the engine's own ``_process_batch``; a step never runs
    twice, the trace's unique key being the last guard.

    ``_cron_process_due`` is unchanged: called directly, it runs the due
    steps at once, claimed or not.
    """

    _inherit = "sales.sequence.enrollment"

    queue_job_uuid = fields.Char(
        "Claimed by Job",
        copy=False,
        readonly=True,
        help="The job that runs the due step of this enrollment (technical). A claim holds "
        "only while that job is waiting or running.",
    )

    # ------------------------------------------------------------------
    # Cron: enqueue
    # ------------------------------------------------------------------

    @api.model
    def _cron_enqueue_due(self, now=None):
        """What the engine's cron job runs with the bridge: resume the paused
        enrollments whose time has come, then claim the due enrollments that no
        live job holds, one job per batch. As the cron job, it commits after
        each batch (so the first jobs start while the next are enqueued).
        Should the jobs not run (no job runner), it runs the steps itself.

        :return: the number of enrollments enqueued
        """
        self = self.with_user(SUPERUSER_ID)  # noqa: PLW0642 - the engine works for every sender
        now = now or fields.Datetime.now()
        if self._jobs_stalled(now):
            _logger.warning(
                "Sales sequences: jobs wait for more than %s minutes (is the job runner up?): "
                "running the due steps in the cron job",
                self._stalled_minutes(),
            )
            self._cron_process_due(now=now)
            return 0
        in_cron = bool(self.env.context.get("ir_cron_progress_id"))
        self._with_fresh_snapshot(lambda: self._resume_due(now), in_cron)
        if in_cron:
            self.env["ir.cron"]._commit_progress(remaining=self._count_unclaimed_due(now))
        enqueued = self._enqueue_unclaimed_due(now, in_cron)
        self._schedule_wakeup(self._next_due_after(now))
        return enqueued

    @api.model
    def _enqueue_unclaimed_due(self, now, in_cron):
        """Claim the due enrollments no live job holds, in the order they are
        due, one job per batch; as the cron job, commit after each batch and
        stop when its time is up. Return how many were enqueued."""
        size = self._batch_size()
        enqueued, after = 0, None
        while True:
            batch = self._with_fresh_snapshot(lambda: self._lock_unclaimed_due(now, size, after), in_cron)
            if not batch:
                return enqueued
            batch._enqueue_due_steps()
            enqueued += len(batch)
            after = (batch[-1].next_run_at, batch[-1].id)
            if in_cron and not self.env["ir.cron"]._commit_progress(len(batch)):
                return enqueued

    def _enqueue_due_steps(self):
        """One job runs the due steps of ``self``, which it claims. The same
        enrollments never get a second waiting job (identity key)."""
        job = self.with_delay(
            identity_key=identity_exact,
            description=self.env._("Sales sequences: run the due steps of %s enrollments", len(self)),
        )._run_due_steps()
        self.write({"queue_job_uuid": job.uuid})
        return job

    @api.model
    def _unclaimed_due_sql(self, now):
        """Due enrollments of active sequences that no live job claimed."""
        return SQL(
            """FROM sales_sequence_enrollment enrollment
               JOIN sales_sequence sequence ON sequence.id = enrollment.sequence_id
              WHERE enrollment.state = 'active' AND enrollment.next_run_at <= %(now)s
                AND sequence.state = 'active'
                AND (enrollment.queue_job_uuid IS NULL OR NOT EXISTS (
                     SELECT 1 FROM queue_job job
                      WHERE job.uuid = enrollment.queue_job_uuid AND job.state IN %(live)s))""",
            now=now,
            live=LIVE_JOB_STATES,
        )

    @api.model
    def _lock_unclaimed_due(self, now, limit, after=None):
        """Up to ``limit`` due, unclaimed enrollments in the order they are
        due, after ``after`` (the ``(next_run_at, id)`` of the last one taken,
        if any), locked; rows another transaction holds are skipped."""
        self._flush_engine_fields()
        rows = self.env.execute_query(
            SQL(
                """SELECT enrollment.id %s %s
             ORDER BY enrollment.next_run_at, enrollment.id
                LIMIT %s
           FOR UPDATE OF enrollment SKIP LOCKED""",
                self._unclaimed_due_sql(now),
                SQL("AND (enrollment.next_run_at, enrollment.id) > (%s, %s)", *after) if after else SQL(),
                limit,
            )
        )
        return self.browse(row[0] for row in rows)

    @api.model
    def _count_unclaimed_due(self, now):
        self._flush_engine_fields()
        return self.env.execute_query(SQL("SELECT COUNT(*) %s", self._unclaimed_due_sql(now)))[0][0]

    @api.model
    def _flush_engine_fields(self):
        self.flush_model(["state", "next_run_at", "sequence_id", "queue_job_uuid"])
        self.env["sales.sequence"].flush_model(["state"])

    # ------------------------------------------------------------------
    # The job
    # ------------------------------------------------------------------

    def _run_due_steps(self):
        """Job: run the pending step of those enrollments of ``self`` that are
        still due, and lock them first; the others (exited, paused, moved,
        or run meanwhile by another worker) are left alone.

        :return: a summary for the job's result
        """
        self = self.with_user(SUPERUSER_ID)  # noqa: PLW0642
        now = fields.Datetime.now()
        locked = self._lock_still_due(now)
        if locked:
            locked._process_batch(now)
            locked.write({"queue_job_uuid": False})
            self._schedule_wakeup(locked.mapped("next_run_at"))
        if len(locked) < len(self):
            # held by another transaction, or no longer due: the next tick looks again
            self._schedule_wakeup([now])
        return "%d of %d enrollments run" % (len(locked), len(self))

    def _lock_still_due(self, now):
        """The enrollments of ``self`` still due now, locked; rows another
        transaction holds are skipped."""
        self._flush_engine_fields()
        rows = self.env.execute_query(
            SQL(
                """SELECT enrollment.id
                 FROM sales_sequence_enrollment enrollment
                 JOIN sales_sequence sequence ON sequence.id = enrollment.sequence_id
                WHERE enrollment.id = ANY(%s) AND enrollment.state = 'active'
                  AND enrollment.next_run_at <= %s AND sequence.state = 'active'
             ORDER BY enrollment.next_run_at, enrollment.id
           FOR UPDATE OF enrollment SKIP LOCKED""",
                self.ids,
                now,
            )
        )
        return self.browse(row[0] for row in rows)

    # ------------------------------------------------------------------
    # Without a job runner
    # ------------------------------------------------------------------

    @api.model
    def _stalled_minutes(self):
        param = self.env["ir.config_parameter"].sudo().get_param("sales_sequence_queue.stalled_minutes")
        return int(param or DEFAULT_STALLED_MINUTES)

    @api.model
    def _jobs_stalled(self, now):
        """True when jobs of the engine have waited to start for longer than
        ``sales_sequence_queue.stalled_minutes`` (0: never) while none started
        meanwhile: no job runner takes them."""
        minutes = self._stalled_minutes()
        if not minutes:
            return False
        since = now - timedelta(minutes=minutes)
        Job = self.env["queue.job"].sudo()
        ours = [("model_name", "=", self._name), ("method_name", "=", "_run_due_steps")]
        waiting = Job.search_count(
            ours
            + [
                ("state", "=", "pending"),
                ("date_created", "<", since),
                "|",
                ("eta", "=", False),
                ("eta", "<", since),
            ],
            limit=1,
        )
        return bool(waiting) and not Job.search_count(ours + [("date_started", ">=", since)], limit=1)
