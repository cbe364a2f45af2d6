import secrets

from odoo import fields, models


class SalesSequenceLink(models.Model):
    """A link of the sequence emails, followed through the signed click
    route ``/r/<code>/ss/<enrollment>/<step>/<token>`` (engine/tracking.py,
    controllers/tracking.py).

    Not a ``link.tracker``: those are public redirects (``/r/<code>`` leads
    anyone anywhere), which only administrators and marketing create. A
    sequence link is followed only through a URL whose token signs the
    enrollment, the step and this code, i.e. from the email that carried it:
    the engine may make one for whatever URL a rep wrote in their email."""

    _name = "sales.sequence.link"
    _description = "Sales Sequence Tracked Link"
    _rec_name = "url"
    _order = "id"

    url = fields.Char("URL", required=True, readonly=True, index=True)
    label = fields.Char(readonly=True, help="The text of the link, where there is one.")
    code = fields.Char(required=True, readonly=True, copy=False, default=lambda self: secrets.token_hex(6))

    _unique_code = models.UniqueIndex("(code)", "A link code is unique.")
