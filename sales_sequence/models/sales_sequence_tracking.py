"""Open and click tracking of sequence emails, without mass_mailing.

At queue time (``_tracked_body``, called by the engine for every email) links
are rewritten to link_tracker short URLs carrying our own suffix
``/r/<code>/ss/<enrollment>/<step>/<token>`` and a 1x1 open pixel
``/sales_sequence/o/<enrollment>/<step>/<token>.gif`` is appended. Both are
signed with ``tools.hmac`` over (enrollment, step): the public routes
(controllers/tracking.py) stamp the trace of that step and nothing else.
"""
import lxml.html
from markupsafe import Markup

from odoo import fields, models
from odoo.addons.link_tracker.tools.html import find_links_with_urls_and_labels
from odoo.tools import SQL, consteq, is_html_empty
from odoo.tools.mail import URL_SKIP_PROTOCOL_REGEX
from odoo.tools.misc import hmac

TRACKING_SCOPE = "sales_sequence-tracking"
# links that must reach their target untouched (regexes, as link_tracker takes them)
UNTRACKED_PATHS = ["/sales_sequence/unsubscribe"]
# transaction cache of link tracker codes: {(url, label): code}; the cursor
# clears it on commit and on savepoint rollback, so a code never outlives its tracker
LINK_CODES_CACHE_KEY = "sales_sequence.link_codes"


class SalesSequenceEnrollment(models.Model):
    _inherit = "sales.sequence.enrollment"

    def _tracked_body(self, body, step):
        """The body as sent: links tracked and the open pixel appended, as
        the sequence's ``track_clicks`` and ``track_opens`` say."""
        body = super()._tracked_body(body, step)
        if not body or is_html_empty(body):
            return body
        if self.sequence_id.track_clicks:
            body = self._track_links(body, step)
        if self.sequence_id.track_opens:
            body = self._append_open_pixel(body, step)
        return body

    # ------------------------------------------------------------------
    # Signed URLs
    # ------------------------------------------------------------------

    def _tracking_token(self, step_id):
        self.ensure_one()
        return hmac(self.env(su=True), TRACKING_SCOPE, (self.id, step_id))

    def _check_tracking_token(self, step_id, token):
        self.ensure_one()
        return bool(token) and consteq(self._tracking_token(step_id), token)

    def _tracking_suffix(self, step):
        """``<enrollment>/<step>/<token>``: what the tracking routes verify."""
        return "%s/%s/%s" % (self.id, step.id, self._tracking_token(step.id))

    def _open_pixel_url(self, step):
        return "%s/sales_sequence/o/%s.gif" % (self.get_base_url(), self._tracking_suffix(step))

    def _append_open_pixel(self, body, step):
        pixel = Markup('<img src="%s" alt="" width="1" height="1" style="border:0;height:1px;width:1px;"/>') % (
            self._open_pixel_url(step)
        )
        return Markup(body) + pixel

    # ------------------------------------------------------------------
    # Links
    # ------------------------------------------------------------------

    def _track_links(self, body, step):
        """Rewrite the links of ``body`` to tracked short URLs of this
        enrollment's step (mailto:, tel:, unsubscribe and already short
        links are left alone)."""
        base_url = self.get_base_url()
        root = lxml.html.fromstring(body)
        nodes, urls_and_labels = find_links_with_urls_and_labels(
            root, base_url, skip_regex=rf"^{URL_SKIP_PROTOCOL_REGEX}",
            skip_prefix=base_url + "/r/", skip_list=UNTRACKED_PATHS,
        )
        if not nodes:
            return body
        codes = self._link_tracker_codes(urls_and_labels)
        suffix = self._tracking_suffix(step)
        for node, code in zip(nodes, codes):
            node.set("href", "%s/r/%s/ss/%s" % (base_url, code, suffix))
        tracked = lxml.html.tostring(root, encoding="unicode", method="xml")
        return Markup(tracked) if isinstance(body, Markup) else tracked

    def _link_tracker_codes(self, urls_and_labels):
        """The short code of each ``{'url', 'label'}``, in order.

        Trackers are looked up (or created, with a title so that link_tracker
        never fetches the page) only for links not seen yet in the current
        transaction: a batch of emails costs a few queries per distinct link,
        not per email.
        """
        known = self.env.cr.cache.setdefault(LINK_CODES_CACHE_KEY, {})
        keys = [(vals["url"], vals["label"] or "") for vals in urls_and_labels]
        missing = list(dict.fromkeys(key for key in keys if key not in known))
        if missing:
            known.update(zip(missing, self._fetch_link_codes(missing)))
        return [known[key] for key in keys]

    def _fetch_link_codes(self, keys):
        """Codes of the link trackers of ``keys`` (``(url, label)``), created if needed."""
        trackers = self.env["link.tracker"].sudo().search_or_create([
            {"url": url, "label": label or False, "title": label or url} for url, label in keys
        ])
        codes = self.env["link.tracker.code"].sudo().search_fetch(
            [("link_id", "in", trackers.ids)], ["code", "link_id"], order="id desc",
        )
        latest = {}
        for code in codes:
            latest.setdefault(code.link_id.id, code.code)
        return [latest[tracker.id] for tracker in trackers]


class SalesSequenceTrace(models.Model):
    _inherit = "sales.sequence.trace"

    def _record_open(self):
        """The open pixel was loaded: count it, stamp the first open."""
        self._record_tracking_event(SQL(
            """open_count = open_count + 1,
               opened_at = COALESCE(opened_at, %(now)s)""",
            now=fields.Datetime.now(),
        ))

    def _record_click(self):
        """A tracked link was followed: count it, stamp the first click. A
        click implies an open: an email whose pixel never loaded (images
        blocked) counts as opened once."""
        self._record_tracking_event(SQL(
            """click_count = click_count + 1,
               clicked_at = COALESCE(clicked_at, %(now)s),
               open_count = CASE WHEN opened_at IS NULL THEN open_count + 1 ELSE open_count END,
               opened_at = COALESCE(opened_at, %(now)s)""",
            now=fields.Datetime.now(),
        ))

    def _record_tracking_event(self, assignments):
        """One atomic UPDATE: concurrent hits (a mail client loading the
        pixel twice at once) never lose a count, as a read-then-write would."""
        if not self:
            return
        fnames = ["open_count", "opened_at", "click_count", "clicked_at"]
        self.flush_recordset(fnames)
        self.env.cr.execute(SQL(
            "UPDATE sales_sequence_trace SET %s WHERE id IN %s", assignments, tuple(self.ids),
        ))
        self.invalidate_recordset(fnames)
