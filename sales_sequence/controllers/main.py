from werkzeug.exceptions import NotFound

from odoo.http import Controller, Response, request, route


class SalesSequenceController(Controller):

    # CSRF is off: the POST comes from a mail client (RFC 8058 one-click) or
    # from our own page, both without a session; the signed token guards it.
    @route("/sales_sequence/unsubscribe/<int:enrollment_id>/<string:token>", type="http",
           auth="public", methods=["GET", "POST"], csrf=False, sitemap=False)
    def unsubscribe(self, enrollment_id, token, **post):
        enrollment = request.env["sales.sequence.enrollment"].sudo().browse(enrollment_id).exists()
        if not enrollment or not enrollment._check_unsubscribe_token(token):
            raise NotFound()
        if request.httprequest.method == "POST":
            enrollment._action_unsubscribe()
            if post.get("List-Unsubscribe") == "One-Click":
                return Response(status=200)
        return request.render("sales_sequence.unsubscribe_page", {
            "company": enrollment.company_id,
            "email": enrollment._recipient_email(),
            "done": request.httprequest.method == "POST",
            "action_url": request.httprequest.path,
        })
