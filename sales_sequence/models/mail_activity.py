from odoo import models


class MailActivity(models.Model):
    _inherit = "mail.activity"

    def _action_done(self, feedback=False, attachment_ids=None):
        self._sequence_waiting_enrollments()._on_task_finished(done=True)
        return super()._action_done(feedback=feedback, attachment_ids=attachment_ids)

    def unlink(self):
        """A cancelled sequence task lets its enrollment go on (trace skipped)."""
        self._sequence_waiting_enrollments()._on_task_finished(done=False)
        return super().unlink()

    def _sequence_waiting_enrollments(self):
        return self.env["sales.sequence.enrollment"].sudo().search(
            [("waiting_activity_id", "in", self.ids)]
        )
