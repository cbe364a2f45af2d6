import re

from werkzeug.exceptions import NotFound

from odoo.http import Controller, Response, request, route

# what our tokens look like (tools.hmac: SHA-256 hex digest); anything else is
# refused before touching the database (and before consteq, which raises on
# non-ASCII text)
TOKEN_RE = re.compile(r"[0-9a-f]{64}")
MAX_ID = 2**31 - 1  # PostgreSQL integer


def signed_enrollment(enrollment_id, token, check):
    """The enrollment (sudo) when ``check(enrollment)`` accepts ``token``
    for it; NotFound otherwise, the same for a forged token, a malformed one
    or an enrollment that does not exist, so the answer reveals nothing."""
    if not (0 < enrollment_id <= MAX_ID and isinstance(token, str) and TOKEN_RE.fullmatch(token)):
        raise NotFound()
    # sudo: a public route; only a signed token gets the enrollment further
    enrollment = request.env["sales.sequence.enrollment"].sudo().browse(enrollment_id).exists()
    if not enrollment or not check(enrollment):
        raise NotFound()
    return enrollment


class SalesSequenceController(Controller):
    # CSRF is off: the POST comes from a mail client (RFC 8058 one-click) or
    # from our own page, both without a session; the signed token guards it.
    @route(
        "/sales_sequence/unsubscribe/<int:enrollment_id>/<string:token>",
        type="http",
        auth="public",
        methods=["GET", "POST"],
        csrf=False,
        sitemap=False,
    )
    def unsubscribe(self, enrollment_id, token, **post):
        enrollment = signed_enrollment(
            enrollment_id,
            token,
            lambda enrollment: enrollment._check_unsubscribe_token(token),
        )
        if request.httprequest.method == "POST":
            enrollment._action_unsubscribe()
            if post.get("List-Unsubscribe") == "One-Click":
                return Response(status=200)
        return request.render(
            "sales_sequence.unsubscribe_page",
            {
                "company": enrollment.company_id,
                "email": enrollment._recipient_email(),
                "done": request.httprequest.method == "POST",
                "action_url": request.httprequest.path,
            },
        )
