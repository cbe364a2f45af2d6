"""Open and click tracking of the emails the engine sends, without mass_mailing.

At queue time (``tracked_body``) links are rewritten to link_tracker short
URLs carrying our own suffix ``/r/<code>/ss/<enrollment>/<step>/<token>`` and
a 1x1 open pixel ``/sales_sequence/o/<enrollment>/<step>/<token>.gif`` is
appended. Both are signed over (enrollment, step) by
``sales.sequence.enrollment._tracking_token``: the public routes
(controllers/tracking.py) stamp the trace of that step and nothing else. Only
the email carries them, not its copy in the chatter.
"""

import lxml.html
from markupsafe import Markup

from odoo.addons.link_tracker.tools.html import find_links_with_urls_and_labels
from odoo.tools import is_html_empty
from odoo.tools.mail import URL_SKIP_PROTOCOL_REGEX

# links that must reach their target untouched (regexes, as link_tracker takes them)
UNTRACKED_PATHS = ["/sales_sequence/unsubscribe"]
# transaction cache of link tracker codes: {(url, label): code}; the cursor
# clears it on commit and on savepoint rollback, so a code never outlives its tracker
LINK_CODES_CACHE_KEY = "sales_sequence.link_codes"


def tracked_body(enrollment, body, step):
    """``body`` as sent for ``step`` of ``enrollment``: links tracked and the
    open pixel appended when both the sequence and the step say so
    (``track_clicks``, ``track_opens``)."""
    if not body or is_html_empty(body):
        return body
    sequence = enrollment.sequence_id
    if sequence.track_clicks and step.track_clicks:
        body = track_links(enrollment, body, step)
    if sequence.track_opens and step.track_opens:
        body = Markup(body) + Markup(
            '<img src="%s" alt="" width="1" height="1" style="border:0;height:1px;width:1px;"/>'
        ) % open_pixel_url(enrollment, step)
    return body


def tracking_suffix(enrollment, step):
    """``<enrollment>/<step>/<token>``: what the tracking routes verify."""
    return "%s/%s/%s" % (enrollment.id, step.id, enrollment._tracking_token(step.id))


def open_pixel_url(enrollment, step):
    return "%s/sales_sequence/o/%s.gif" % (enrollment.get_base_url(), tracking_suffix(enrollment, step))


def track_links(enrollment, body, step):
    """Rewrite the links of ``body`` to tracked short URLs of this
    enrollment's step (mailto:, tel:, unsubscribe and already short links
    are left alone)."""
    base_url = enrollment.get_base_url()
    root = lxml.html.fromstring(body)
    nodes, urls_and_labels = find_links_with_urls_and_labels(
        root, base_url, skip_regex=rf"^{URL_SKIP_PROTOCOL_REGEX}",
        skip_prefix=base_url + "/r/", skip_list=UNTRACKED_PATHS,
    )
    if not nodes:
        return body
    codes = link_tracker_codes(enrollment.env, urls_and_labels)
    suffix = tracking_suffix(enrollment, step)
    for node, code in zip(nodes, codes):
        node.set("href", "%s/r/%s/ss/%s" % (base_url, code, suffix))
    tracked = lxml.html.tostring(root, encoding="unicode", method="xml")
    return Markup(tracked) if isinstance(body, Markup) else tracked


def link_tracker_codes(env, urls_and_labels):
    """The short code of each ``{'url', 'label'}``, in order.

    Trackers are looked up (or created, with a title so that link_tracker
    never fetches the page) only for links not seen yet in the current
    transaction: a batch of emails costs a few queries per distinct link,
    not per email.
    """
    known = env.cr.cache.setdefault(LINK_CODES_CACHE_KEY, {})
    keys = [(vals["url"], vals["label"] or "") for vals in urls_and_labels]
    missing = list(dict.fromkeys(key for key in keys if key not in known))
    if missing:
        known.update(zip(missing, _fetch_link_codes(env, missing)))
    return [known[key] for key in keys]


def _fetch_link_codes(env, keys):
    """Codes of the link trackers of ``keys`` (``(url, label)``), created if needed."""
    trackers = env["link.tracker"].sudo().search_or_create([
        {"url": url, "label": label or False, "title": label or url} for url, label in keys
    ])
    codes = env["link.tracker.code"].sudo().search_fetch(
        [("link_id", "in", trackers.ids)], ["code", "link_id"], order="id desc",
    )
    latest = {}
    for code in codes:
        latest.setdefault(code.link_id.id, code.code)
    return [latest[tracker.id] for tracker in trackers]
