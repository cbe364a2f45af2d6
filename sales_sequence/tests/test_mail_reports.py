import doctest
import email
import email.policy
import time
import unittest

from odoo.addons.sales_sequence.tools import mail_reports
from odoo.addons.sales_sequence.tools.mail_reports import Complaint, DeliveryStatus

OUR_ID = "<178.1772442000.519823-openerp-42-sales.sequence.enrollment@ourco.com>"

# the email a sequence sent, as the recipient's provider keeps it
ORIGINAL = """\
Received: from mail.ourco.com (mail.ourco.com [198.51.100.7])
        by mta1012.mail.gq1.yahoo.com with ESMTPS; Mon, 02 Mar 2026 10:00:12 +0000
DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=ourco.com; s=odoo;
        h=from:to:subject:message-id:date; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=;
        b=dGVzdCBzaWduYXR1cmUgb25seQ==
From: Bob Seller <bob.seller@ourco.com>
To: Jane Roe <{to}>
Subject: Quick question about hiring at ACME
Message-ID: {message_id}
Date: Mon, 02 Mar 2026 10:00:10 +0000
List-Unsubscribe: <https://ourco.com/sales_sequence/unsubscribe/42/4f1c2a>
List-Unsubscribe-Post: List-Unsubscribe=One-Click
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

Hi Jane, are you the right person to talk to about hiring at ACME?
"""


def parse(raw):
    """What Odoo's mail gateway does with the bytes it receives (``message_process``)."""
    return email.message_from_bytes(raw.encode(), policy=email.policy.SMTP)


def original(to="jane.roe@yahoo.com", message_id=OUR_ID):
    return ORIGINAL.format(to=to, message_id=message_id)


# RFC 5965, appendix B.2 (a full report), as published
ARF_RFC5965 = """\
From: <abusedesk@example.com>
Date: Thu, 8 Mar 2005 17:40:36 EDT
Subject: FW: Earn money
To: <abuse@example.net>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report;
     boundary="part1_13d.2e68ed54_boundary"

--part1_13d.2e68ed54_boundary
Content-Type: text/plain; charset="US-ASCII"
Content-Transfer-Encoding: 7bit

This is an email abuse report for an email message received from IP
192.0.2.1 on Thu, 8 Mar 2005 14:00:00 EDT.  For more information
about this format please see http://www.mipassoc.org/arf/.

--part1_13d.2e68ed54_boundary
Content-Type: message/feedback-report

Feedback-Type: abuse
User-Agent: SomeGenerator/1.0
Version: 1
Original-Mail-From: <somespammer@example.net>
Original-Rcpt-To: <user@example.com>
Arrival-Date: Thu, 8 Mar 2005 14:00:00 EDT
Reporting-MTA: dns; mail.example.com
Source-IP: 192.0.2.1
Authentication-Results: mail.example.com;
               spf=fail smtp.mail=somespammer@example.com
Reported-Domain: example.net
Reported-Uri: http://example.net/earn_money.html
Reported-Uri: mailto:user@example.com
Removal-Recipient: user@example.com

--part1_13d.2e68ed54_boundary
Content-Type: message/rfc822
Content-Disposition: inline

From: <somespammer@example.net>
Received: from mailserver.example.net (mailserver.example.net
        [192.0.2.1]) by example.com with ESMTP id M63d4137594e46;
        Thu, 08 Mar 2005 14:00:00 -0400
To: <Undisclosed Recipients>
Subject: Earn money
MIME-Version: 1.0
Content-type: text/plain
Message-ID: 8787KJKJ3K4J3K4J3K4J3.mail@example.net
Date: Thu, 02 Sep 2004 12:31:03 -0500

Spam Spam Spam
Spam Spam Spam
Spam Spam Spam
Spam Spam Spam
--part1_13d.2e68ed54_boundary--
"""

# Yahoo's Complaint Feedback Loop: the full original, Original-Rcpt-To given
ARF_YAHOO = """\
Return-Path: <>
From: Yahoo! Mail AntiSpam Feedback <feedback@arf.mail.yahoo.com>
To: fbl@ourco.com
Subject: FW: Quick question about hiring at ACME
Date: 2 Mar 2026 18:04:07 -0000
Message-ID: <20260302180407.71234.qmail@arf.mail.yahoo.com>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report; boundary="----=_Part_1_29172.1772474647"

------=_Part_1_29172.1772474647
Content-Type: text/plain; charset=us-ascii
Content-Transfer-Encoding: 7bit

This is an email abuse report for an email message received from IP 198.51.100.7 on Mon, 02 Mar 2026 10:00:12 +0000
------=_Part_1_29172.1772474647
Content-Type: message/feedback-report

Feedback-Type: {feedback_type}
User-Agent: Yahoo!-Mail-Feedback/2.0
Version: 0.1
Original-Mail-From: <bounce+42@ourco.com>
Original-Rcpt-To: jane.roe@yahoo.com
Received-Date: Mon, 02 Mar 2026 10:00:12 +0000
Source-IP: 198.51.100.7
Authentication-Results: mta1012.mail.gq1.yahoo.com  from=ourco.com; domainkeys=neutral (no sig);
  from=ourco.com; dkim=pass (ok)
Reported-Domain: ourco.com

------=_Part_1_29172.1772474647
Content-Type: message/rfc822

{original}
------=_Part_1_29172.1772474647--
"""

# Microsoft's Junk Mail Reporting Program: no Original-Rcpt-To, the recipient redacted
# in To but given in X-HmXmrOriginalRecipient
ARF_JMRP = """\
From: staff@hotmail.com
To: jmrp@ourco.com
Subject: complaint about message from 198.51.100.7
Date: Mon, 02 Mar 2026 11:22:33 -0800
Message-ID: <a1b2c3d4-0000-1111-2222-333344445555@hotmail.com>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report; boundary="JMRP_a1b2c3"

--JMRP_a1b2c3
Content-Type: text/plain; charset="us-ascii"

This is an email abuse report for an email message received from IP 198.51.100.7 on Mon, 02 Mar 2026 10:00:15 -0800.
For more information about this format please see http://tools.ietf.org/html/rfc5965.
--JMRP_a1b2c3
Content-Type: message/feedback-report

Feedback-Type: abuse
User-Agent: Microsoft Junk Mail Reporting Program
Version: 1.0
Source-IP: 198.51.100.7
Arrival-Date: Mon, 02 Mar 2026 10:00:15 -0800

--JMRP_a1b2c3
Content-Type: message/rfc822
Content-Disposition: inline

X-HmXmrOriginalRecipient: <jane.roe@outlook.com>
X-Message-Status: n:0
X-SID-PRA: BOB.SELLER@OURCO.COM
{original}
--JMRP_a1b2c3--
"""

# headers only, the Message-ID rewritten by Exchange Online (the sender's mailbox is Microsoft 365)
ARF_HEADERS_ONLY = """\
From: fbl@isp.example
To: fbl@ourco.com
Subject: Abuse report
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report; boundary="b1"

--b1
Content-Type: text/plain

A user of ours reported this message as spam.
--b1
Content-Type: message/feedback-report

Feedback-Type: fraud
User-Agent: ISP-FBL/3.1
Version: 1
Original-Rcpt-To: rfc822; Jane.Roe@ISP.example

--b1
Content-Type: text/rfc822-headers

From: Bob Seller <bob.seller@ourco.com>
To: Jane Roe <jane.roe@isp.example>
Subject: Quick question about hiring at ACME
Message-ID: <AM0PR01MB1234ABCD@AM0PR01MB1234.eurprd01.prod.exchangelabs.com>
X-Microsoft-Original-Message-ID: {message_id}

--b1--
"""

POSTFIX_DSN = """\
Return-Path: <>
From: MAILER-DAEMON@mail.ourco.com (Mail Delivery System)
Subject: Undelivered Mail Returned to Sender
To: bounce+42@ourco.com
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
        boundary="8D3C41E0A.1772442000/mail.ourco.com"
Message-Id: <20260302100001.9E4A41E0B@mail.ourco.com>

This is a MIME-encapsulated message.

--8D3C41E0A.1772442000/mail.ourco.com
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mail.ourco.com.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

<jane.roe@acme.com>: host mx.acme.com[203.0.113.5] said: 550 5.1.1
    <jane.roe@acme.com>: Recipient address rejected: User unknown

--8D3C41E0A.1772442000/mail.ourco.com
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mail.ourco.com
X-Postfix-Queue-ID: 8D3C41E0A
X-Postfix-Sender: rfc822; bounce+42@ourco.com
Arrival-Date: Mon,  2 Mar 2026 10:00:00 +0100 (CET)

Final-Recipient: rfc822; {final}
Original-Recipient: rfc822;{original_recipient}
Action: failed
Status: 5.1.1
Remote-MTA: dns; mx.acme.com
Diagnostic-Code: smtp; 550 5.1.1 <jane.roe@acme.com>: Recipient address
    rejected: User unknown

Final-Recipient: rfc822; mark@acme.com
Action: delayed
Status: 4.4.1
Diagnostic-Code: X-Postfix; connect to mx.acme.com[203.0.113.5]:25: Connection
    timed out

--8D3C41E0A.1772442000/mail.ourco.com
Content-Description: Undelivered Message Headers
Content-Type: text/rfc822-headers

From: Bob Seller <bob.seller@ourco.com>
To: Jane Roe <jane.roe@acme.com>
Subject: Quick question about hiring at ACME
Message-ID: {message_id}

--8D3C41E0A.1772442000/mail.ourco.com--
""".replace("{message_id}", OUR_ID)

GMAIL_DSN = """\
X-Failed-Recipients: nobody.here@gmail.com
From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>
To: bob.seller@ourco.com
Auto-Submitted: auto-replied
Subject: Delivery Status Notification (Failure)
Message-ID: <67c41b1a.050a0220.1a2b3c.0001.GMR@mx.google.com>
MIME-Version: 1.0
Content-Type: multipart/report; boundary="000000000000a1b2c3"; report-type=delivery-status

--000000000000a1b2c3
Content-Type: text/plain; charset="UTF-8"

Address not found
Your message wasn't delivered to nobody.here@gmail.com because the address couldn't be found.

--000000000000a1b2c3
Content-Type: message/delivery-status

Reporting-MTA: dns; googlemail.com
Arrival-Date: Mon, 02 Mar 2026 02:00:10 -0800 (PST)
X-Original-Message-ID: {message_id}

Final-Recipient: rfc822; nobody.here@gmail.com
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550-5.1.1 The email account that you tried to reach does not exist.
Last-Attempt-Date: Mon, 02 Mar 2026 02:00:11 -0800 (PST)

--000000000000a1b2c3
Content-Type: message/rfc822

{original}
--000000000000a1b2c3--
""".replace("{message_id}", OUR_ID).replace("{original}", original(to="nobody.here@gmail.com"))

EXCHANGE_DSN = """\
From: Microsoft Outlook <MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@contoso.onmicrosoft.com>
To: <bob.seller@ourco.com>
Subject: Undeliverable: Quick question about hiring at ACME
Content-Type: multipart/report; report-type=delivery-status; boundary="ndr_boundary"
MIME-Version: 1.0

--ndr_boundary
Content-Type: multipart/alternative; boundary="alt"

--alt
Content-Type: text/plain; charset="us-ascii"

Your message to Jane.Roe@contoso.com couldn't be delivered.
--alt
Content-Type: text/html; charset="us-ascii"

<p>Your message to <b>Jane.Roe@contoso.com</b> couldn't be delivered.</p>
--alt--

--ndr_boundary
Content-Type: message/delivery-status

Reporting-MTA: dns;AM0PR01MB1234.eurprd01.prod.exchangelabs.com
Received-From-MTA: dns;mail.ourco.com
Arrival-Date: Mon, 2 Mar 2026 09:00:01 +0000

Final-Recipient: rfc822;Jane.Roe@contoso.com
Action: failed
Status: 5.1.10
Diagnostic-Code: smtp;550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup
X-Display-Name: Jane Roe

--ndr_boundary
Content-Type: text/rfc822-headers

From: Bob Seller <bob.seller@ourco.com>
To: Jane Roe <Jane.Roe@contoso.com>
Message-ID: {message_id}

--ndr_boundary--
""".replace("{message_id}", OUR_ID)

GLOBAL_DSN = """\
From: MAILER-DAEMON@mx.bücher.de
To: bounce+42@ourco.com
Subject: Undelivered Mail Returned to Sender
MIME-Version: 1.0
Content-Type: multipart/report; report-type=global-delivery-status; boundary="g1"

--g1
Content-Type: text/plain; charset=utf-8

Could not deliver to jörg@bücher.de.
--g1
Content-Type: message/global-delivery-status

Reporting-MTA: dns; mx.bücher.de

Final-Recipient: utf-8; jörg@bücher.de
Action: failed
Status: 5.1.1

--g1--
"""


def forwarded(to="abuse@ourco.com", subject="Fwd: Quick question about hiring at ACME", attached=True):
    """A recipient forwards our email, as an attachment or pasted inline."""
    attachment = (
        (
            '--fwd\nContent-Type: message/rfc822\nContent-Disposition: attachment; filename="Quick question.eml"\n\n'
            + original(to="jane.roe@acme.com")
            + "\n"
        )
        if attached
        else ""
    )
    inline = "" if attached else "\n---------- Forwarded message ---------\n" + original(to="jane.roe@acme.com")
    return (
        "From: Jane Roe <jane.roe@acme.com>\nTo: %s\nSubject: %s\nMessage-ID: <CAF=fwd123@mail.gmail.com>\n"
        'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="fwd"\n\n'
        "--fwd\nContent-Type: text/plain; charset=utf-8\n\nI never signed up for this. Please stop.%s\n\n"
        "%s--fwd--\n" % (to, subject, inline, attachment)
    )


class TestComplaints(unittest.TestCase):
    def test_doctests(self):
        self.assertEqual(doctest.testmod(mail_reports).failed, 0)

    def test_arf_reports(self):
        cases = [
            (
                ARF_RFC5965,
                Complaint("arf", "abuse", ("user@example.com",), ("<8787KJKJ3K4J3K4J3K4J3.mail@example.net>",)),
            ),
            (
                ARF_YAHOO.format(feedback_type="abuse", original=original()),
                Complaint("arf", "abuse", ("jane.roe@yahoo.com",), (OUR_ID,)),
            ),
            (
                ARF_JMRP.format(original=original(to="REDACTED")),
                Complaint("arf", "abuse", ("jane.roe@outlook.com",), (OUR_ID,)),
            ),
            (
                ARF_HEADERS_ONLY.format(message_id=OUR_ID),
                Complaint(
                    "arf",
                    "fraud",
                    ("jane.roe@isp.example",),
                    ("<AM0PR01MB1234ABCD@AM0PR01MB1234.eurprd01.prod.exchangelabs.com>", OUR_ID),
                ),
            ),
        ]
        for raw, expected in cases:
            with self.subTest(report=raw.splitlines()[0]):
                self.assertEqual(mail_reports.find_complaint(parse(raw)), expected)

    def test_arf_recipient_fallbacks(self):
        """No Original-Rcpt-To: the original's To; everything redacted: no recipient, the Message-ID remains."""
        yahoo = ARF_YAHOO.replace("Original-Rcpt-To: jane.roe@yahoo.com\n", "")
        self.assertEqual(
            mail_reports.find_complaint(parse(yahoo.format(feedback_type="abuse", original=original()))),
            Complaint("arf", "abuse", ("jane.roe@yahoo.com",), (OUR_ID,)),
        )
        self.assertEqual(
            mail_reports.find_complaint(parse(yahoo.format(feedback_type="abuse", original=original(to="redacted")))),
            Complaint("arf", "abuse", (), (OUR_ID,)),
        )

    def test_not_complaints(self):
        bodies = [
            ARF_YAHOO.format(feedback_type="not-spam", original=original()),
            ARF_YAHOO.format(feedback_type="auth-failure", original=original()),
            ARF_YAHOO.format(feedback_type="virus", original=original()),
            POSTFIX_DSN.format(final="jane.roe@acme.com", original_recipient="jane.roe@acme.com"),
            GMAIL_DSN,
            original(),  # an ordinary email
            # forwards: to an ordinary mailbox, pasted inline, or "it went to spam"
            forwarded(to="sales@ourco.com"),
            forwarded(attached=False),
            forwarded(to="sales@ourco.com", subject="Fwd: this landed in my spam folder"),
            forwarded(to="abuse-team-lead@ourco.com"),
        ]
        for raw in bodies:
            with self.subTest(message=raw[:80]):
                self.assertIsNone(mail_reports.find_complaint(parse(raw)))

    def test_forwarded_abuse(self):
        expected = Complaint("forwarded", "", ("jane.roe@acme.com",), (OUR_ID,))
        for raw in (
            forwarded(),
            forwarded(to="Abuse Desk <ABUSE@ourco.com>"),
            forwarded(to="sales@ourco.com", subject="Spam complaint: Quick question about hiring at ACME"),
            forwarded(to="sales@ourco.com", subject="[SpamCop (https://www.spamcop.net/) id:7212345678]Quick question"),
        ):
            with self.subTest(message=raw[:80]):
                self.assertEqual(mail_reports.find_complaint(parse(raw)), expected)

    def test_forwarded_arf(self):
        """An admin forwards the provider's report as an attachment: the report counts, and its
        original is the one inside the report, not the report itself."""
        raw = (
            "From: Admin <admin@ourco.com>\nTo: catchall@ourco.com\nSubject: Fwd: FW: Quick question\n"
            'MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="outer"\n\n'
            "--outer\nContent-Type: text/plain\n\nFYI\n\n"
            "--outer\nContent-Type: message/rfc822\n\n%s\n--outer--\n"
        ) % ARF_YAHOO.format(feedback_type="abuse", original=original())
        self.assertEqual(
            mail_reports.find_complaint(parse(raw)), Complaint("arf", "abuse", ("jane.roe@yahoo.com",), (OUR_ID,))
        )

    def test_hostile_report_is_cheap(self):
        """Thousands of parts: only the first ones are read."""
        parts = "".join("--b\nContent-Type: message/rfc822\n\nMessage-ID: <%d@x>\n\n" % i for i in range(3000))
        raw = 'To: abuse@ourco.com\nContent-Type: multipart/mixed; boundary="b"\n\n%s--b--\n' % parts
        message = parse(raw)
        start = time.perf_counter()
        complaint = mail_reports.find_complaint(message)
        self.assertLess(time.perf_counter() - start, 2.0)
        self.assertLessEqual(len(complaint.message_ids), mail_reports.MAX_PARTS)


class TestDeliveryStatus(unittest.TestCase):
    def test_postfix(self):
        message = parse(POSTFIX_DSN.format(final="jane.roe@acme.com", original_recipient="Jane.Roe@ACME.com"))
        self.assertEqual(
            mail_reports.delivery_statuses(message),
            (
                DeliveryStatus("jane.roe@acme.com", "jane.roe@acme.com", "failed", "5.1.1"),
                DeliveryStatus("mark@acme.com", "", "delayed", "4.4.1"),
            ),
        )
        self.assertEqual(mail_reports.failed_recipients(message), ("jane.roe@acme.com",))

    def test_forwarded_mailbox(self):
        """We mailed jane@acme.com, which forwards to a dead address: both are named."""
        message = parse(POSTFIX_DSN.format(final="jane.old@gmail.com", original_recipient="jane.roe@acme.com"))
        self.assertEqual(mail_reports.failed_recipients(message), ("jane.old@gmail.com", "jane.roe@acme.com"))

    def test_forged_bounce(self):
        """A "bounce" carrying a prospect's Message-ID but naming someone else, or nobody."""
        message = parse(POSTFIX_DSN.format(final="someone.else@acme.com", original_recipient="someone.else@acme.com"))
        self.assertEqual(mail_reports.failed_recipients(message), ("someone.else@acme.com",))
        plain = parse(
            "From: MAILER-DAEMON@evil.example\nTo: bounce+42@ourco.com\nSubject: failure\n"
            "In-Reply-To: %s\n\nYour message bounced.\n" % OUR_ID
        )
        self.assertEqual(mail_reports.failed_recipients(plain), ())
        self.assertEqual(mail_reports.delivery_statuses(plain), ())

    def test_providers(self):
        cases = [
            (GMAIL_DSN, ("nobody.here@gmail.com",)),
            (EXCHANGE_DSN, ("jane.roe@contoso.com",)),
            (GLOBAL_DSN, ("jörg@bücher.de",)),
            # no DSN part: the X-Failed-Recipients header
            (
                "X-Failed-Recipients: Jane.Roe@acme.com, mark@acme.com\nFrom: Mail Delivery System "
                "<Mailer-Daemon@mx.example>\nSubject: Mail delivery failed\n\nA message could not be delivered.\n",
                ("jane.roe@acme.com", "mark@acme.com"),
            ),
        ]
        for raw, expected in cases:
            with self.subTest(message=raw.splitlines()[0]):
                self.assertEqual(mail_reports.failed_recipients(parse(raw)), expected)

    def test_actions(self):
        """Only failures count: delayed and delivered (NOTIFY=SUCCESS) do not; a 5.x.x without an
        action does; an address type other than rfc822 / utf-8 is no address."""

        def dsn(block):
            return parse(
                "From: MAILER-DAEMON@mx.example\nContent-Type: multipart/report; report-type=delivery-status; "
                'boundary="d"\n\n--d\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example\n\n'
                "%s\n--d--\n" % block
            )

        cases = [
            ("Final-Recipient: rfc822; jane@acme.com\nAction: delayed\nStatus: 4.4.7\n", ()),
            ("Final-Recipient: rfc822; jane@acme.com\nAction: delivered\nStatus: 2.0.0\n", ()),
            ("Final-Recipient: rfc822; jane@acme.com\nStatus: 5.0.0\n", ("jane@acme.com",)),
            ("Final-Recipient: rfc822; jane@acme.com\nStatus: 4.0.0\n", ()),
            ("Final-Recipient: x400; c=US;a=;p=ACME;o=HQ;s=Roe;g=Jane\nAction: failed\nStatus: 5.1.1\n", ()),
            (
                "Final-Recipient: rfc822; <Jane@ACME.com>\nAction: FAILED\nStatus: 5.1.1 (user unknown)\n",
                ("jane@acme.com",),
            ),
        ]
        for block, expected in cases:
            with self.subTest(block=block):
                self.assertEqual(mail_reports.failed_recipients(dsn(block)), expected)
