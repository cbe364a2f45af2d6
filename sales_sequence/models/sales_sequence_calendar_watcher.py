from odoo import api, models

WORK_CALENDAR_CACHE = "sales_sequence_work_calendars"  # see sales.sequence._work_calendar_for


class SalesSequenceCalendarWatcher(models.AbstractModel):
    """Working hours and holidays are cached per transaction for the engine:
    any change to them drops that cache."""

    _name = "sales.sequence.calendar.watcher"
    _description = "Drops the sequences' working-calendar cache on change"

    @api.model_create_multi
    def create(self, vals_list):
        self._forget_work_calendars()
        return super().create(vals_list)

    def write(self, vals):
        self._forget_work_calendars()
        return super().write(vals)

    def unlink(self):
        self._forget_work_calendars()
        return super().unlink()

    def _forget_work_calendars(self):
        self.env.cr.cache.pop(WORK_CALENDAR_CACHE, None)
