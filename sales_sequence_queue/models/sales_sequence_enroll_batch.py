from odoo import SUPERUSER_ID, api, models

from odoo.addons.queue_job.job import identity_exact


class SalesSequenceEnrollBatch(models.Model):
    """Bulk enrollments above the in-request limit as ``queue_job`` jobs: one
    job enrolls one chunk (one transaction) and enqueues the next, until the
    batch is done. Batches run side by side; the chunks of one batch run one
    after the other (they update the batch's counters)."""

    _inherit = "sales.sequence.enroll.batch"

    def _run_or_queue(self, threshold):
        result = super()._run_or_queue(threshold)
        if self.in_background and self.state == "queued":
            self._enqueue_enroll_chunk()
        return result

    @api.model
    def _cron_enqueue_queued(self):
        """What the bulk enrollment cron job runs with the bridge: give every
        queued background batch its job (a batch that has one waiting keeps it)."""
        self.with_user(SUPERUSER_ID).search(
            [("state", "=", "queued"), ("in_background", "=", True)],
            order="id",
        )._enqueue_enroll_chunk()

    def _enqueue_enroll_chunk(self):
        """One job per batch for its next chunk (never two waiting: identity key)."""
        for batch in self.with_user(SUPERUSER_ID):
            batch.with_delay(
                identity_key=identity_exact,
                description=self.env._("Sales sequences: bulk enrollment %s", batch.display_name),
            )._run_enroll_chunk()

    def _run_enroll_chunk(self):
        """Job: enroll the next chunk of the batch (as the requester, like the
        cron job), then enqueue the job of the chunk after, if any. A batch
        that another transaction holds, or that is over, is left alone.

        :return: a summary for the job's result
        """
        batch = self.with_user(SUPERUSER_ID).try_lock_for_update()
        if not batch or batch.state != "queued":
            return "nothing to do"
        processed = batch._process_or_stop(batch._chunk_size())
        if batch.state == "queued":
            batch._enqueue_enroll_chunk()
        return "%d records processed, %d of %d" % (processed, batch.next_index, batch.record_count)
