import base64

from werkzeug.exceptions import NotFound

from odoo.http import Controller, request, route

from .main import MAX_ID, signed_enrollment

# a transparent 1x1 GIF
PIXEL = base64.b64decode(b"R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==")


class SalesSequenceTrackingController(Controller):
    """Public, signed tracking routes of sequence emails (our own: mass
    mailing's ``/mail/track`` and ``/r/<code>/m/<id>`` belong to mailing traces).

    A forged or altered URL is a 404 and changes nothing. Hits from robots
    (link scanners, previews) and from logged-in internal users (a rep
    reading the email in the chatter) are served but not counted.
    """

    @route(
        "/sales_sequence/o/<int:enrollment_id>/<int:step_id>/<string:token>.gif",
        type="http",
        auth="public",
        methods=["GET"],
        sitemap=False,
        save_session=False,
    )
    def track_open(self, enrollment_id, step_id, token, **kwargs):
        trace = self._signed_trace(enrollment_id, step_id, token)
        if self._counts_as_recipient():
            trace._record_open()
        return request.make_response(
            PIXEL,
            headers=[
                ("Content-Type", "image/gif"),
                ("Cache-Control", "no-cache, no-store, must-revalidate, max-age=0"),
            ],
        )

    @route(
        "/r/<string:code>/ss/<int:enrollment_id>/<int:step_id>/<string:token>",
        type="http",
        auth="public",
        methods=["GET"],
        sitemap=False,
        save_session=False,
    )
    def track_click(self, code, enrollment_id, step_id, token, **kwargs):
        trace = self._signed_trace(enrollment_id, step_id, token, code)
        # sudo: a public route; the token signs this link for this email
        link = request.env["sales.sequence.link"].sudo().search([("code", "=", code)], limit=1)
        if not link:
            raise NotFound()
        if self._counts_as_recipient():
            trace._record_click()
        # 302, not link_tracker's 301: a browser must not cache the redirect, so a second click counts
        return request.redirect(link.url, code=302, local=False)

    def _signed_trace(self, enrollment_id, step_id, token, code=""):
        """The trace of the step of the enrollment (possibly empty when it was
        deleted); NotFound when the token does not sign them (and the link
        ``code`` of a click)."""
        if not 0 < step_id <= MAX_ID:
            raise NotFound()
        enrollment = signed_enrollment(
            enrollment_id,
            token,
            lambda enrollment: enrollment._check_tracking_token(step_id, token, code),
        )
        # sudo: a public route; the token signs this enrollment and step
        return (
            request.env["sales.sequence.trace"]
            .sudo()
            .search(
                [("enrollment_id", "=", enrollment.id), ("step_id", "=", step_id)],
                limit=1,
            )
        )

    def _counts_as_recipient(self):
        return not request.env["ir.http"].is_a_bot() and not request.env.user._is_internal()
