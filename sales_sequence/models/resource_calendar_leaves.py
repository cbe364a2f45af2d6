from odoo import models


class ResourceCalendarLeaves(models.Model):
    _name = "resource.calendar.leaves"
    _inherit = ["resource.calendar.leaves", "sales.sequence.calendar.watcher"]
