"""Open and click tracking of the emails the engine sends, without mass_mailing.

At queue time (``tracked_body``) links are rewritten to short URLs
``/r/<code>/ss/<enrollment>/<step>/<token>`` (``code``: a
``sales.sequence.link``) and a 1x1 open pixel
``/sales_sequence/o/<enrollment>/<step>/<token>.gif`` is appended. The pixel
is signed over (enrollment, step), a link over (enrollment, step, code), by
``sales.sequence.enrollment._tracking_token``: the public routes
(controllers/tracking.py) stamp the trace of that step and follow that link,
nothing else. Only the email carries them, not its copy in the chatter.

Links are not ``link.tracker`` records: those are public redirects
(``/r/<code>``) that only administrators and marketing may create; a rep's
URL must not become one through the engine's rights.
"""

import lxml.html
from markupsafe import Markup

from odoo.tools import is_html_empty
from odoo.tools.mail import URL_SKIP_PROTOCOL_REGEX, validate_url

from odoo.addons.link_tracker.tools.html import find_links_with_urls_and_labels

# links that must reach their target untouched (regexes, as link_tracker takes them)
UNTRACKED_PATHS = ["/sales_sequence/unsubscribe"]
# transaction cache of link codes: {(url, label): code}; the cursor clears it
# on commit and on savepoint rollback, so a code never outlives its link
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


def tracking_suffix(enrollment, step, code=""):
    """``<enrollment>/<step>/<token>``: what the tracking routes verify (the
    token of a link signs its ``code`` too)."""
    return "%s/%s/%s" % (enrollment.id, step.id, enrollment._tracking_token(step.id, code))


def open_pixel_url(enrollment, step):
    return "%s/sales_sequence/o/%s.gif" % (enrollment.get_base_url(), tracking_suffix(enrollment, step))


def track_links(enrollment, body, step):
    """Rewrite the links of ``body`` to tracked short URLs of this
    enrollment's step (mailto:, tel:, unsubscribe and already short links
    are left alone)."""
    base_url = enrollment.get_base_url()
    root = lxml.html.fromstring(body)
    nodes, urls_and_labels = find_links_with_urls_and_labels(
        root,
        base_url,
        skip_regex=rf"^{URL_SKIP_PROTOCOL_REGEX}",
        skip_prefix=base_url + "/r/",
        skip_list=UNTRACKED_PATHS,
    )
    if not nodes:
        return body
    codes = link_codes(enrollment.env, urls_and_labels)
    for node, code in zip(nodes, codes, strict=True):
        node.set("href", "%s/r/%s/ss/%s" % (base_url, code, tracking_suffix(enrollment, step, code)))
    tracked = lxml.html.tostring(root, encoding="unicode", method="xml")
    return Markup(tracked) if isinstance(body, Markup) else tracked


def link_codes(env, urls_and_labels):
    """The code of the ``sales.sequence.link`` of each ``{'url', 'label'}``,
    in order.

    Links are looked up (or created) only for those not seen yet in the
    current transaction: a batch of emails costs a few queries per distinct
    link, not per email.
    """
    known = env.cr.cache.setdefault(LINK_CODES_CACHE_KEY, {})
    keys = [(validate_url(vals["url"]), vals["label"] or "") for vals in urls_and_labels]
    missing = list(dict.fromkeys(key for key in keys if key not in known))
    if missing:
        known.update(zip(missing, _fetch_link_codes(env, missing), strict=True))
    return [known[key] for key in keys]


def _fetch_link_codes(env, keys):
    """Codes of the links of ``keys`` (``(url, label)``), created if needed."""
    # sudo: the engine's own table of links, followed only through URLs it signed
    Link = env["sales.sequence.link"].sudo()
    found = {
        (link.url, link.label or ""): link.code
        for link in Link.search_fetch(
            [("url", "in", list({url for url, __ in keys}))], ["url", "label", "code"], order="id"
        )
    }
    new = [key for key in keys if key not in found]
    created = Link.create([{"url": url, "label": label or False} for url, label in new])
    found.update(zip(new, created.mapped("code"), strict=True))
    return [found[key] for key in keys]
