from datetime import timedelta

from odoo.tests import Form, freeze_time, tagged

from odoo.addons.queue_job.tests.common import trap_jobs
from odoo.addons.sales_sequence.tests.common import MONDAY_9AM, SalesSequenceCase
from odoo.addons.sales_sequence_queue.hooks import uninstall_hook

CHANNEL = "root.sales_sequence"


class QueueCase(SalesSequenceCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sequence = cls._create_sequence(
            [cls._email(), cls._task("call", delay_days=1, wait_for_completion=False)],
            team_id=False,
        )
        cls.Enrollment = cls.env["sales.sequence.enrollment"]
        cls.Job = cls.env["queue.job"]

    def _enroll(self, records):
        return self.sequence.enroll(records, start_at=MONDAY_9AM, user=self.user_rep)["enrolled"]

    def _engine_jobs(self):
        return self.Job.search([("model_name", "=", self.Enrollment._name), ("method_name", "=", "_run_due_steps")])

    def _set_batch_size(self, size):
        self.env["ir.config_parameter"].sudo().set_param("sales_sequence.batch_size", size)


@tagged("post_install", "-at_install")
class TestQueueEngine(QueueCase):
    def test_cron_enqueues_due_steps_on_the_channel(self):
        self.assertEqual(self.env.ref("sales_sequence.ir_cron_process_due").code, "model._cron_enqueue_due()")
        enrollments = self._enroll(self.jane | self.john)
        with freeze_time(MONDAY_9AM), trap_jobs() as trap:
            self.assertEqual(self.Enrollment._cron_enqueue_due(), 2)
            trap.assert_jobs_count(1)
            job = trap.enqueued_jobs[0]
        self.assertEqual(job.channel, CHANNEL)
        self.assertEqual(job.recordset.ids, enrollments.sorted("id").ids)
        self.assertFalse(enrollments.trace_ids, "enqueuing runs nothing")
        self.assertEqual(set(enrollments.mapped("queue_job_uuid")), {job.uuid})

    def test_one_job_per_batch(self):
        self._set_batch_size(2)
        # a lead of its own address (Jane's lead writes to Jane: one address runs once per sequence)
        other_lead = self.env["crm.lead"].create({"name": "Other lead", "email_from": "other@lead.example.com"})
        enrollments = self._enroll(self.jane | self.john) | self._enroll(other_lead)
        with freeze_time(MONDAY_9AM), trap_jobs() as trap:
            self.Enrollment._cron_enqueue_due()
        self.assertEqual(sorted(len(job.recordset) for job in trap.enqueued_jobs), [1, 2])
        self.assertEqual(sum((job.recordset for job in trap.enqueued_jobs), self.Enrollment), enrollments)

    def test_claimed_enrollments_are_enqueued_once(self):
        """A waiting or running job holds its enrollments: later ticks enqueue
        nothing for them; once its job failed for good, they are claimed again."""
        enrollments = self._enroll(self.jane | self.john)
        with freeze_time(MONDAY_9AM):
            self.Enrollment._cron_enqueue_due()
            job = self._engine_jobs()
            self.assertEqual((len(job), job.channel, job.state), (1, CHANNEL, "pending"))
            self.assertEqual(self.Enrollment._cron_enqueue_due(), 0)
            job.state = "started"
            self.assertEqual(self.Enrollment._cron_enqueue_due(), 0)
            self.assertEqual(self._engine_jobs(), job)
            job.state = "failed"
            self.assertEqual(self.Enrollment._cron_enqueue_due(), 2)
        retry = self._engine_jobs() - job
        self.assertEqual(len(retry), 1)
        self.assertEqual(set(enrollments.mapped("queue_job_uuid")), {retry.uuid})

    def test_paused_enrollments_resume_then_wait_for_a_job(self):
        enrollment = self._enroll(self.jane)
        enrollment.write({"state": "paused", "resume_at": MONDAY_9AM - timedelta(hours=1)})
        with freeze_time(MONDAY_9AM), trap_jobs() as trap:
            self.assertEqual(self.Enrollment._cron_enqueue_due(), 1)
        self.assertEqual(enrollment.state, "active")
        self.assertEqual(trap.enqueued_jobs[0].recordset, enrollment)

    def test_identity_key_avoids_a_second_waiting_job(self):
        enrollments = self._enroll(self.jane | self.john)
        first = enrollments._enqueue_due_steps()
        second = enrollments._enqueue_due_steps()
        self.assertEqual(len(self._engine_jobs()), 1)
        self.assertEqual(second.uuid, first.uuid)
        with trap_jobs() as trap:
            enrollments[:1]._enqueue_due_steps()  # another set of records: another job
            enrollments[:1]._enqueue_due_steps()
            trap.assert_jobs_count(1)

    def test_the_job_runs_the_steps(self):
        enrollments = self._enroll(self.jane | self.john)
        with freeze_time(MONDAY_9AM), trap_jobs() as trap:
            self.Enrollment._cron_enqueue_due()
            with self.mock_mail_gateway():
                trap.perform_enqueued_jobs()
        first, second = self.sequence.step_ids
        for enrollment in enrollments:
            self.assertTraces(enrollment, [(first, "sent")])
            self.assertEqual(enrollment.step_id, second)
            self.assertEqual(enrollment.next_run_at, MONDAY_9AM + timedelta(days=1))
            self.assertFalse(enrollment.queue_job_uuid, "the claim is released")
        self.assertEqual(enrollments.trace_ids.mail_mail_id.mapped("state"), ["outgoing"] * 2)

    def test_a_job_for_an_exited_enrollment_does_nothing(self):
        jane, john = self._enroll(self.jane | self.john).sorted(lambda e: e.partner_id != self.jane)
        with freeze_time(MONDAY_9AM), trap_jobs() as trap:
            self.Enrollment._cron_enqueue_due()
            jane.action_exit()
            with self.mock_mail_gateway():
                trap.perform_enqueued_jobs()
        self.assertFalse(jane.trace_ids)
        self.assertExited(jane, "manual")
        self.assertTraces(john, [(self.sequence.step_ids[0], "sent")])

    def test_a_step_run_meanwhile_does_not_run_twice(self):
        """The direct engine call still runs the steps at once (claims or not);
        the job then finds nothing due."""
        enrollments = self._enroll(self.jane | self.john)
        with freeze_time(MONDAY_9AM), trap_jobs() as trap:
            self.Enrollment._cron_enqueue_due()
            with self.mock_mail_gateway():
                self.assertEqual(self._run(MONDAY_9AM), 2)
                trap.assert_jobs_count(1)  # the direct call enqueued nothing
                trap.perform_enqueued_jobs()
        self.assertEqual(len(enrollments.trace_ids), 2)
        self.assertEqual(len(enrollments.trace_ids.mail_mail_id), 2)

    def test_without_job_runner_the_cron_runs_the_steps(self):
        enrollments = self._enroll(self.jane | self.john)
        with freeze_time(MONDAY_9AM):
            self.Enrollment._cron_enqueue_due()
        later = MONDAY_9AM + timedelta(minutes=20)
        with (
            freeze_time(later),
            self.mock_mail_gateway(),
            self.assertLogs("odoo.addons.sales_sequence_queue", "WARNING") as logs,
        ):
            self.Enrollment._cron_enqueue_due()
        self.assertIn("is the job runner up?", logs.output[0])
        self.assertEqual(enrollments.trace_ids.mapped("state"), ["sent", "sent"])

    def test_uninstall_gives_the_crons_their_code_back(self):
        uninstall_hook(self.env)
        self.assertEqual(self.env.ref("sales_sequence.ir_cron_process_due").code, "model._cron_process_due()")
        self.assertEqual(self.env.ref("sales_sequence.ir_cron_enroll_batches").code, "model._cron_process_queued()")


@tagged("post_install", "-at_install")
class TestQueueBulkEnrollment(QueueCase):
    def _wizard(self, records):
        action = records.action_enroll_in_sequence()
        form = Form(self.env[action["res_model"]].with_user(self.user_manager).with_context(**action["context"]))
        form.sequence_id = self.sequence
        return form.save()

    def _partners(self, count):
        return self.env["res.partner"].create(
            [{"name": "Bulk %s" % index, "email": "bulk%s@example.com" % index} for index in range(count)]
        )

    def test_large_selection_runs_as_jobs_one_chunk_each(self):
        self.assertEqual(self.env.ref("sales_sequence.ir_cron_enroll_batches").code, "model._cron_enqueue_queued()")
        params = self.env["ir.config_parameter"].sudo()
        params.set_param("sales_sequence.enroll_async_threshold", 5)
        params.set_param("sales_sequence.enroll_chunk_size", 4)
        partners = self._partners(10)
        wizard = self._wizard(partners)
        with trap_jobs() as trap:
            wizard.action_enroll()
            batch = wizard.batch_id
            trap.assert_jobs_count(1)
            self.assertEqual(trap.enqueued_jobs[0].channel, CHANNEL)
            self.assertEqual(trap.enqueued_jobs[0].recordset, batch)
            self.assertEqual(
                trap.enqueued_jobs[0].user_id,
                self.env.ref("base.user_root").id,
                "runs as the cron job does, enrolling with the requester's rights",
            )
            self.assertEqual(batch.enrolled_count, 0, "nothing enrolled inside the request")
            chunks = []
            while trap.enqueued_jobs:
                trap.perform_enqueued_jobs()
                chunks.append(batch.next_index)
        self.assertEqual(chunks, [4, 8, 10])
        self.assertEqual((batch.state, batch.enrolled_count), ("done", 10))
        self.assertEqual(self.sequence.enrollment_count, 10)

    def test_cron_gives_a_queued_batch_one_job(self):
        params = self.env["ir.config_parameter"].sudo()
        params.set_param("sales_sequence.enroll_async_threshold", 2)
        wizard = self._wizard(self._partners(3))
        wizard.action_enroll()
        Batch = self.env["sales.sequence.enroll.batch"]
        Batch._cron_enqueue_queued()
        Batch._cron_enqueue_queued()
        jobs = self.Job.search([("model_name", "=", Batch._name)])
        self.assertEqual(len(jobs), 1, "the job queued by the wizard, not one per tick")
        self.assertEqual(jobs.records, wizard.batch_id)
