#!/usr/bin/env python3
"""The demo's mailbox: a local SMTP server that delivers nothing.

``make run`` starts it next to Odoo and points Odoo's outgoing mail at it, so
that a newcomer sees every email the sequences send without any real mail
leaving the machine:

* SMTP on 127.0.0.1:8025 (``--smtp-port``) accepts any message;
* each message is written to ``var/mail/`` (``--dir``) as ``<n>-<subject>.eml``,
  with its body as ``<n>-<subject>.html`` and an ``index.html`` listing them all;
* the same mailbox is served on http://127.0.0.1:8026/ (``--http-port``), where
  a "Simulate a reply" button answers a message the way the prospect would:
  the reply goes to its Reply-To address (the sequence's catchall) and is handed
  to Odoo's mail gateway (``mail.thread.message_process`` over XML-RPC, as
  Odoo's own ``odoo-mailgate.py`` does), so that the enrollment stops on reply.

Only the standard library and ``aiosmtpd`` (requirements.txt).
"""

import argparse
import email
import email.policy
import html
import http.server
import logging
import pathlib
import re
import threading
import time
import urllib.parse
import xmlrpc.client
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr

from aiosmtpd.controller import Controller

_logger = logging.getLogger("mail_sink")

REPLY_TEXT = (
    "Hi,\n\nThanks for reaching out: yes, this is timely for us.\nCould we talk on Thursday afternoon?\n\nBest regards"
)


class Mailbox:
    """The messages on disk, and the index page that lists them."""

    def __init__(self, folder):
        self.folder = pathlib.Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.lock = threading.Lock()

    def messages(self):
        """(stem, message) pairs, newest first."""
        stems = sorted((path.stem for path in self.folder.glob("*.eml")), reverse=True)
        for stem in stems:
            with open(self.folder / ("%s.eml" % stem), "rb") as handle:
                yield stem, email.message_from_binary_file(handle, policy=email.policy.default)

    def store(self, raw):
        """Write one message (bytes) to the folder; return its stem."""
        message = email.message_from_bytes(raw, policy=email.policy.default)
        with self.lock:
            number = 1 + max(
                (int(p.stem.split("-", 1)[0]) for p in self.folder.glob("*.eml") if p.stem.split("-", 1)[0].isdigit()),
                default=0,
            )
            slug = re.sub(r"[^a-z0-9]+", "-", str(message["subject"] or "").lower()).strip("-")[:50]
            stem = "%05d-%s" % (number, slug or "no-subject")
            (self.folder / ("%s.eml" % stem)).write_bytes(raw)
            (self.folder / ("%s.html" % stem)).write_text(self._body_page(message), encoding="utf-8")
            self.write_index()
        _logger.info("mail %s: %s -> %s", stem, message["from"], message["to"])
        return stem

    @staticmethod
    def _body_page(message):
        part = message.get_body(preferencelist=("html", "plain"))
        content = part.get_content() if part else ""
        if part is None or part.get_content_type() != "text/html":
            content = "<pre>%s</pre>" % html.escape(content)
        headers = "".join(
            "<tr><th>%s</th><td>%s</td></tr>" % (name, html.escape(str(message[name])))
            for name in (
                "From",
                "To",
                "Reply-To",
                "Subject",
                "Date",
                "Message-Id",
                "List-Unsubscribe",
                "List-Unsubscribe-Post",
            )
            if message[name]
        )
        return PAGE % {
            "title": html.escape(str(message["subject"] or "")),
            "body": '<p><a href="index.html">&larr; All messages</a></p>'
            '<table class="headers">%s</table><hr/>%s' % (headers, content),
        }

    def write_index(self):
        rows = []
        for stem, message in self.messages():
            # sequence emails carry one-click unsubscribe headers; Odoo's own
            # notifications (activities assigned...) do not
            from_sequence = bool(message["x-sales-sequence"] or message["list-unsubscribe"])
            rows.append(
                '<tr class="%s"><td>%s</td><td>%s</td><td>%s</td><td><a href="%s.html">%s</a></td>'
                '<td><a href="%s.eml">.eml</a></td><td>%s</td></tr>'
                % (
                    "sequence" if from_sequence else "other",
                    html.escape(str(message["date"] or "")),
                    html.escape(str(message["from"] or "")),
                    html.escape(str(message["to"] or "")),
                    stem,
                    html.escape(str(message["subject"] or "(no subject)")),
                    stem,
                    '<form method="post" action="reply/%s"><button>Simulate a reply</button></form>' % stem
                    if from_sequence and message["reply-to"]
                    else "",
                )
            )
        body = (
            "<h1>Demo mailbox</h1><p>Emails sent by sequences are in bold; the others are "
            'Odoo\'s own notifications.</p><p id="note" style="color:#017e84"></p>'
            "<script>document.getElementById('note').textContent = "
            "new URLSearchParams(location.search).get('note') || '';</script>"
            "<p>%d message(s) sent by Odoo to the local SMTP sink, "
            "newest first. Files: <code>%s/</code>. This page refreshes every 10 seconds.</p>"
            "<table><tr><th>Date</th><th>From</th><th>To</th><th>Subject</th><th></th><th></th></tr>"
            "%s</table>" % (len(rows), html.escape(str(self.folder)), "".join(rows))
        )
        page = PAGE % {"title": "Demo mailbox", "body": body}
        page = page.replace("<head>", '<head><meta http-equiv="refresh" content="10"/>', 1)
        (self.folder / "index.html").write_text(page, encoding="utf-8")


PAGE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"/><title>%(title)s</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2rem; color: #212529; }
table { border-collapse: collapse; } td, th { padding: .35rem .6rem; text-align: left;
vertical-align: top; border-bottom: 1px solid #dee2e6; } th { color: #6c757d; }
.headers th { width: 12rem; } tr.sequence td { font-weight: 600; } tr.other td { color: #6c757d; }
a { color: #714b67; } button { cursor: pointer; }
</style></head><body>%(body)s</body></html>
"""


class SinkHandler:
    """aiosmtpd handler: accept everything, store it."""

    def __init__(self, mailbox):
        self.mailbox = mailbox

    async def handle_DATA(self, server, session, envelope):
        self.mailbox.store(envelope.original_content or envelope.content)
        return "250 Message accepted for delivery"


def build_reply(original, text=REPLY_TEXT):
    """The prospect's answer to ``original``: to its Reply-To, in its thread."""
    reply = EmailMessage()
    prospect = parseaddr(str(original["to"]))[1]
    reply["From"] = str(original["to"])
    reply["To"] = str(original["reply-to"] or original["from"])
    subject = str(original["subject"] or "")
    reply["Subject"] = subject if subject.lower().startswith("re:") else "Re: %s" % subject
    reply["Date"] = formatdate(localtime=True)
    reply["Message-Id"] = make_msgid(domain=prospect.rpartition("@")[2] or "example.com")
    if original["message-id"]:
        reply["In-Reply-To"] = str(original["message-id"])
        reply["References"] = ("%s %s" % (original["references"] or "", original["message-id"])).strip()
    reply.set_content(text)
    return reply


class OdooGateway:
    """Odoo's mail gateway over XML-RPC (like odoo/addons/mail/static/scripts/odoo-mailgate.py)."""

    def __init__(self, url, db, login, password):
        self.url, self.db, self.login, self.password = url.rstrip("/"), db, login, password

    def deliver(self, message):
        common = xmlrpc.client.ServerProxy("%s/xmlrpc/2/common" % self.url, allow_none=True)
        uid = common.authenticate(self.db, self.login, self.password, {})
        if not uid:
            raise RuntimeError("cannot log in to %s as %s" % (self.db, self.login))
        models = xmlrpc.client.ServerProxy("%s/xmlrpc/2/object" % self.url, allow_none=True)
        raw = xmlrpc.client.Binary(message.as_bytes())
        return models.execute_kw(
            self.db, uid, self.password, "mail.thread", "message_process", [False, raw], {"save_original": False}
        )


def make_http_handler(mailbox, gateway):
    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(mailbox.folder), **kwargs)

        def do_POST(self):
            match = re.fullmatch(r"/reply/([\w.-]+)", urllib.parse.urlparse(self.path).path)
            path = mailbox.folder / ("%s.eml" % match.group(1)) if match else None
            if not path or not path.is_file():
                self.send_error(404)
                return
            with open(path, "rb") as handle:
                original = email.message_from_binary_file(handle, policy=email.policy.default)
            reply = build_reply(original)
            try:
                result = gateway.deliver(reply) if gateway else None
                mailbox.store(reply.as_bytes())
                note = "Reply delivered to Odoo (%s)." % (result or "no matching record")
            except Exception as error:  # noqa: BLE001 - shown to the user
                note = "Could not deliver the reply to Odoo: %s" % error
            _logger.info(note)
            self.send_response(303)
            self.send_header("Location", "/index.html?%s" % urllib.parse.urlencode({"note": note}))
            self.end_headers()

        def log_message(self, *args):
            pass

    return Handler


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--dir", default="var/mail", help="where messages are written (default var/mail)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--smtp-port", type=int, default=8025)
    parser.add_argument("--http-port", type=int, default=8026, help="0: no web page")
    parser.add_argument(
        "--odoo-url", default="http://127.0.0.1:8069", help="where simulated replies go (Odoo's XML-RPC)"
    )
    parser.add_argument("--db", help="Odoo database for simulated replies")
    parser.add_argument("--login", default="admin")
    parser.add_argument("--password", default="admin")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="[mail-sink] %(message)s")
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd's per-command log

    mailbox = Mailbox(args.dir)
    mailbox.write_index()
    controller = Controller(SinkHandler(mailbox), hostname=args.host, port=args.smtp_port)
    controller.start()
    _logger.info("SMTP on %s:%s, messages in %s", args.host, args.smtp_port, mailbox.folder.resolve())
    if args.http_port:
        gateway = OdooGateway(args.odoo_url, args.db, args.login, args.password) if args.db else None
        server = http.server.ThreadingHTTPServer((args.host, args.http_port), make_http_handler(mailbox, gateway))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        _logger.info("mailbox page on http://%s:%s/", args.host, args.http_port)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
