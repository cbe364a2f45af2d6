from odoo import api, models


class CalendarEvent(models.Model):
    """A meeting with an enrolled contact, or on an enrolled lead, is a win
    for the sequence: it exits (``meeting``)."""

    _inherit = "calendar.event"

    @api.model_create_multi
    def create(self, vals_list):
        events = super().create(vals_list)
        events._exit_sequences_on_meeting()
        return events

    def write(self, vals):
        result = super().write(vals)
        if {"partner_ids", "opportunity_id", "res_id", "res_model_id", "active"} & set(vals):
            self._exit_sequences_on_meeting()
        return result

    def _exit_sequences_on_meeting(self):
        events = self.filtered("active")
        if not events:
            return
        partners = events.partner_ids
        leads = events.opportunity_id | self.env["crm.lead"].browse(
            event.res_id for event in events if event.res_model == "crm.lead" and event.res_id
        )
        companies = None
        if not self.env.su:
            # a meeting counts for the people its author may see, in the companies they work for:
            # anybody's id may be written among the attendees
            partners, leads = partners._filtered_access("read"), leads._filtered_access("read")
            companies = self.env.user.company_ids
        # sudo: a meeting exits every sender's enrollments of the people (an event, not the user's act)
        self.env["sales.sequence.enrollment"].sudo()._exit_on_meeting(partners, leads, companies)
