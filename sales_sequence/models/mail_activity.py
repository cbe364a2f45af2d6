from odoo import _, models


class MailActivity(models.Model):
    _inherit = "mail.activity"

    def _action_done(self, feedback=False, attachment_ids=None):
        self._sales_sequence_task_finished(done=True)
        return super()._action_done(feedback=feedback, attachment_ids=attachment_ids)

    def unlink(self):
        self._sales_sequence_task_finished(done=False)
        return super().unlink()

    def _sales_sequence_task_finished(self, done):
        """Sequence tasks done or cancelled: their traces follow them (done, or
        skipped when cancelled), also when nobody waits for the task, and the
        enrollments waiting for them go on."""
        traces = self.env["sales.sequence.trace"].sudo().search(
            [("activity_id", "in", self.ids), ("state", "=", "task")]
        )
        traces.write({"state": "done"} if done else {"state": "skipped", "skip_reason": _("Task cancelled.")})
        self.env["sales.sequence.enrollment"].sudo().search(
            [("waiting_activity_id", "in", self.ids)]
        )._on_task_finished()
