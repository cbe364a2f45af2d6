import logging
from datetime import timedelta

import psycopg2
from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from ..engine import settings
from ..engine.composer import recipient_email
from .sales_sequence_guard_mixin import is_manager

_logger = logging.getLogger(__name__)

MAX_REPORTED_FAILURES = 200


class SalesSequenceEnrollBatch(models.Model):
    """A bulk enrollment: the selected records, the rep's options and the
    outcome. Small batches run at once; large ones run from a cron job in
    chunks, one transaction per chunk, and notify the rep when done. Every
    record goes through ``sales.sequence.enroll()``."""

    _name = "sales.sequence.enroll.batch"
    _description = "Sales Sequence Bulk Enrollment"
    _inherit = ["sales.sequence.guard.mixin"]
    _order = "id desc"
    _check_company_auto = True
    _rec_names_search = ["sequence_id"]
    # what the enroll wizard gives; the progress and the outcome are the engine's
    _user_create_fields = (
        "sequence_id",
        "requested_by_id",
        "sender_id",
        "res_model",
        "record_ids",
        "record_count",
        "start_at",
        "stagger_days",
        "skip_running",
        "skip_recent_days",
    )

    sequence_id = fields.Many2one("sales.sequence", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="sequence_id.company_id", store=True)
    requested_by_id = fields.Many2one(
        "res.users",
        required=True,
        default=lambda self: self.env.user,
        check_company=True,
        help="Enrolls with this user's rights and is notified when a background batch is done.",
    )
    sender_id = fields.Many2one(
        "res.users",
        check_company=True,
        help="Empty: each record's salesperson, else the requester.",
    )
    res_model = fields.Selection([("res.partner", "Contacts"), ("crm.lead", "Leads")], required=True)
    record_ids = fields.Json("Records", required=True, help="Ids of the records to enroll, in order.")
    record_count = fields.Integer(required=True)
    next_index = fields.Integer("Processed", default=0)
    start_at = fields.Datetime("Start", help="Empty: when the chunk runs.")
    stagger_days = fields.Integer("Stagger Over (days)")
    skip_running = fields.Boolean("Skip Contacts Active in Any Sequence")
    skip_recent_days = fields.Integer("Skip Contacts Emailed in the Last (days)", help="0: do not skip.")
    in_background = fields.Boolean(readonly=True)
    state = fields.Selection(
        [("queued", "Queued"), ("done", "Done"), ("failed", "Failed")],
        default="queued",
        required=True,
        index=True,
    )
    enrolled_count = fields.Integer("Enrolled")
    duplicate_count = fields.Integer("Already in the Sequence")
    skipped_count = fields.Integer("Skipped by Options")
    failed_count = fields.Integer("Not Enrolled")
    failure_details = fields.Text("Reasons")

    _counts_positive = models.Constraint(
        "CHECK (stagger_days >= 0 AND skip_recent_days >= 0)",
        "Day counts cannot be negative.",
    )

    @api.depends("sequence_id", "record_count")
    def _compute_display_name(self):
        for batch in self:
            batch.display_name = self.env._(
                "%(count)s records into %(sequence)s", count=batch.record_count, sequence=batch.sequence_id.name
            )

    # ------------------------------------------------------------------
    # Trust (sales.sequence.guard.mixin)
    # ------------------------------------------------------------------

    def _guard_hint(self):
        return self.env._("Enroll contacts and leads with the Enroll action.")

    def _check_trust(self, fnames):
        """What the enroll wizard checks: a sequence the requester reads, the
        requester enrolling as themselves (a manager: anyone of the company),
        a sender they may send as, a list of record ids."""
        for batch in self:
            sequence = batch.sequence_id
            sequence.check_access("read")
            requester, sender = batch.requested_by_id, batch.sender_id
            if requester != self.env.user and not is_manager(self.env):
                raise AccessError(self.env._("You can only enroll in your own name."))
            for user in requester | sender:
                if user.share or sequence.company_id not in user.company_ids:
                    raise UserError(
                        self.env._(
                            "%(user)s cannot enroll for the company %(company)s.",
                            user=user.name,
                            company=sequence.company_id.name,
                        )
                    )
            if sender and not sequence._may_send_as(sender):
                raise AccessError(self.env._("Only a sequence manager can send in the name of %s.", sender.name))
            ids = batch.record_ids
            if not (
                isinstance(ids, list) and all(type(i) is int and i > 0 for i in ids) and len(ids) == batch.record_count
            ):
                raise UserError(self.env._("The records to enroll must be a list of record ids."))

    # ------------------------------------------------------------------
    # Running
    # ------------------------------------------------------------------

    def _run_or_queue(self, threshold):
        """Run now when small enough, else hand over to the cron job."""
        self.ensure_one()
        if self.record_count <= threshold:
            self._process(limit=None)
        else:
            self.in_background = True
            # sudo: wake the cron job (users do not write crons)
            self.env.ref("sales_sequence.ir_cron_enroll_batches").sudo()._trigger()

    @api.model
    def _cron_process_queued(self):
        """Cron: process queued batches chunk by chunk, committing after each
        chunk, until done or the time budget is spent (then the cron runs again)."""
        in_cron = bool(self.env.context.get("ir_cron_progress_id"))
        chunk_size = self._chunk_size()
        while True:
            batch = self._lock_next_queued()
            if not batch:
                break
            processed = batch._process_or_stop(chunk_size)
            if in_cron and not self.env["ir.cron"]._commit_progress(processed, remaining=self._remaining()):
                break

    @api.model
    def _lock_next_queued(self):
        queued = self.search([("state", "=", "queued"), ("in_background", "=", True)], order="id")
        return queued.try_lock_for_update(limit=1)

    @api.model
    def _remaining(self):
        queued = self.search_fetch(
            [("state", "=", "queued"), ("in_background", "=", True)], ["record_count", "next_index"]
        )
        return sum(batch.record_count - batch.next_index for batch in queued)

    @api.model
    def _chunk_size(self):
        return settings.get(self.env, "enroll_chunk_size") or 1

    def _process_or_stop(self, limit):
        """``_process(limit)`` for the background runs: a batch that fails
        unexpectedly is stopped (its requester told why), not run again and
        again ahead of the batches queued after it. A conflict with another
        transaction is raised: the next run retries it."""
        try:
            with self.env.cr.savepoint():
                return self._process(limit=limit)
        except psycopg2.OperationalError:
            raise
        except Exception as error:  # noqa: BLE001 - rolled back by the savepoint, reported
            _logger.exception("Bulk enrollment %s failed", self.id)
            self._stop(self.env._("Unexpected error: %s", error))
            return 0

    def _process(self, limit=None):
        """Enroll the next ``limit`` records (all when None), one chunk at a
        time; finish the batch after the last one.

        :return: the number of records processed
        """
        self.ensure_one()
        limit = self.record_count - self.next_index if limit is None else limit
        chunk_size = self._chunk_size()
        processed = 0
        while processed < limit and self.state == "queued" and self.next_index < self.record_count:
            size = min(chunk_size, limit - processed, self.record_count - self.next_index)
            ids = self.record_ids[self.next_index : self.next_index + size]
            self._enroll_chunk(ids)
            self.next_index += len(ids)
            processed += len(ids)
        if self.state == "queued" and self.next_index >= self.record_count:
            self._finish("done")
        return processed

    def _enroll_chunk(self, ids):
        """Enroll one chunk as the requester; a bad chunk fails alone."""
        requester = self.requested_by_id
        # the sequence's company, whatever companies the requester had open when they asked
        records = self.env[self.res_model].with_user(requester).with_company(self.company_id).browse(ids)
        existing = records.exists()
        self._add_failures(
            {
                record_id: self.env._("Record %s no longer exists.", record_id)
                for record_id in set(ids) - set(existing.ids)
            }
        )
        try:
            with self.env.cr.savepoint():
                self._enroll_records(existing)
        except AccessError as error:
            self._add_failures({record.id: str(error) for record in existing}, existing)
        except UserError as error:
            # the sequence itself refuses (archived, back to draft...): stop here
            self._stop(str(error))
        except Exception as error:  # noqa: BLE001 - rolled back by the savepoint, reported
            _logger.exception("Bulk enrollment %s: a chunk failed", self.id)
            self._add_failures({record.id: self.env._("Unexpected error: %s", error) for record in existing}, existing)

    def _enroll_records(self, records):
        sequence = self.sequence_id.with_user(self.requested_by_id).with_company(self.company_id)
        skipped = self._skipped_by_options(records)
        for reason, subset in skipped.items():
            self._add_skipped(subset, reason)
        kept = records - self.env[records._name].concat(*skipped.values())
        now = fields.Datetime.now()
        result = sequence.enroll(
            kept,
            user=self.sender_id or None,
            start_at=max(self.start_at, now) if self.start_at else now,
            stagger_days=self.stagger_days,
        )
        self.enrolled_count += len(result["enrolled"])
        self.duplicate_count += len(result["skipped_duplicates"])
        self._add_failures(result["failure_reasons"], result["failed"])

    def _skipped_by_options(self, records):
        """``{reason: records}`` set aside by the rep's options (each record once)."""
        skipped, left = {}, records
        if self.skip_running and left:
            running = left.browse(self.sequence_id._running_elsewhere(left))
            if running:
                skipped[self.env._("Active in another sequence")] = running
                left -= running
        if self.skip_recent_days and left:
            recent = self._recently_emailed_records(left, self.skip_recent_days)
            if recent:
                skipped[self.env._("Emailed in the last %s days", self.skip_recent_days)] = recent
        return skipped

    def _add_skipped(self, records, reason):
        self.skipped_count += len(records)
        self._add_details(["%s: %s" % (record.display_name, reason) for record in records])

    def _add_failures(self, reasons, records=None):
        """Count ``reasons`` ({record id: message}) as failures; ``records``
        gives the names (else the message stands alone)."""
        if not reasons:
            return
        self.failed_count += len(reasons)
        # the names the requester may read (a record they lost access to stands as its reason alone)
        names = {record.id: record.display_name for record in records._filtered_access("read")} if records else {}
        self._add_details(
            [
                "%s: %s" % (names[record_id], message) if record_id in names else message
                for record_id, message in reasons.items()
            ]
        )

    def _add_details(self, lines):
        """Keep the first reasons; count the others."""
        known = (self.failure_details or "").splitlines()
        room = max(MAX_REPORTED_FAILURES - len(known), 0)
        kept = lines[:room]
        if kept:
            self.failure_details = "\n".join(known + kept)

    def _stop(self, error):
        """Count every record not processed yet as not enrolled, and end."""
        self.failed_count += self.record_count - self.next_index
        self._add_details([self.env._("Stopped: %s", error)])
        self._finish("failed", error)

    def _finish(self, state, error=None):
        self.state = state
        if self.in_background:
            self._notify_requester(error)

    def _notify_requester(self, error=None):
        """An inbox notification (and email, following the rep's preference)."""
        self.ensure_one()
        body = Markup("<p>%s</p>") % self._summary()
        if error:
            body += Markup("<p>%s</p>") % self.env._("Stopped: %s", error)
        if self.failure_details:
            body += Markup("<pre>%s</pre>") % self.failure_details
        # sudo: notify the requester on the sequence's thread, whoever may post there
        self.sequence_id.sudo().message_notify(
            partner_ids=self.requested_by_id.partner_id.ids,
            subject=self.env._("Bulk enrollment in %s is done", self.sequence_id.name),
            body=body,
        )

    def _summary(self):
        self.ensure_one()
        return self.env._(
            "%(enrolled)s enrolled in %(sequence)s, %(duplicates)s already in it, "
            "%(skipped)s skipped by your options, %(failed)s not enrolled.",
            enrolled=self.enrolled_count,
            sequence=self.sequence_id.name,
            duplicates=self.duplicate_count,
            skipped=self.skipped_count,
            failed=self.failed_count,
        )

    # ------------------------------------------------------------------
    # Who is who (preview and options)
    # ------------------------------------------------------------------

    @api.model
    def _emails_of(self, records):
        """``{record id: normalized email}`` of the records that have one (a
        lead falls back on its contact's), as the engine will write to them."""
        is_lead = records._name == "crm.lead"
        emails = {}
        for record in records:
            email = recipient_email(record, record.partner_id) if is_lead else recipient_email(None, record)
            if email:
                emails[record.id] = email
        return emails

    @api.model
    def _suppressed_records(self, records, emails=None):
        emails = self._emails_of(records) if emails is None else emails
        suppressed = self.env["mail.blacklist"]._sales_sequence_suppressed(set(emails.values()))
        return records.browse(rid for rid, email in emails.items() if email in suppressed)

    @api.model
    def _recently_emailed_records(self, records, days, emails=None):
        emails = self._emails_of(records) if emails is None else emails
        since = fields.Datetime.now() - timedelta(days=days)
        recent = self._recently_emailed(set(emails.values()), since)
        return records.browse(rid for rid, email in emails.items() if email in recent)

    @api.model
    def _recently_emailed(self, emails, since):
        """Which of ``emails`` (normalized) were sent an email since ``since``,
        by anyone: queued or sent mails, mailings, chatter messages emailed to
        followers, and emails our users sent from their own mail client and
        logged in Odoo."""
        if not emails:
            return set()
        self.env.flush_all()
        return self._recent_by_partner(emails, since) | self._recent_by_address(emails, since)

    @api.model
    def _recent_by_partner(self, emails, since):
        rows = self.env.execute_query(
            SQL(
                """SELECT p.email_normalized
                 FROM mail_notification n
                 JOIN mail_message m ON m.id = n.mail_message_id
                 JOIN res_partner p ON p.id = n.res_partner_id
                WHERE n.notification_type = 'email' AND n.notification_status != 'canceled'
                  AND m.date >= %(since)s AND p.email_normalized = ANY(%(emails)s)
               UNION
               SELECT p.email_normalized
                 FROM mail_mail_res_partner_rel rel
                 JOIN mail_mail mail ON mail.id = rel.mail_mail_id
                 JOIN mail_message m ON m.id = mail.mail_message_id
                 JOIN res_partner p ON p.id = rel.res_partner_id
                WHERE mail.state != 'cancel' AND m.date >= %(since)s
                  AND p.email_normalized = ANY(%(emails)s)
               UNION
               SELECT p.email_normalized
                 FROM mail_message_res_partner_rel rel
                 JOIN mail_message m ON m.id = rel.mail_message_id
                 JOIN res_partner p ON p.id = rel.res_partner_id
                WHERE m.date >= %(since)s AND p.email_normalized = ANY(%(emails)s)
                  AND m.author_id IS DISTINCT FROM p.id
                  AND (m.message_type = 'email_outgoing' OR (m.message_type = 'email' AND %(by_user)s))""",
                since=since,
                emails=list(emails),
                by_user=self._authored_by_user_sql(),
            )
        )
        return {email for (email,) in rows}

    @api.model
    def _recent_by_address(self, emails, since):
        """Addresses written in recipient fields (``"Name" <a@b.c>, d@e.f``):
        extracted and compared in the database, so that only matches travel."""
        rows = self.env.execute_query(
            SQL(
                """WITH recipients(addresses) AS (
                   SELECT mail.email_to
                     FROM mail_mail mail
                     JOIN mail_message m ON m.id = mail.mail_message_id
                    WHERE mail.state != 'cancel' AND m.date >= %(since)s AND mail.email_to IS NOT NULL
                   UNION ALL
                   SELECT m.outgoing_email_to
                     FROM mail_message m
                    WHERE m.message_type = 'email_outgoing' AND m.date >= %(since)s
                      AND m.outgoing_email_to IS NOT NULL
                   UNION ALL
                   SELECT concat_ws(',', m.incoming_email_to, m.incoming_email_cc)
                     FROM mail_message m
                    WHERE m.message_type = 'email' AND m.date >= %(since)s AND %(by_user)s
                      AND (m.incoming_email_to IS NOT NULL OR m.incoming_email_cc IS NOT NULL)
               )
               SELECT DISTINCT lower(address.match[1])
                 FROM recipients,
                      regexp_matches(recipients.addresses, %(pattern)s, 'g') AS address(match)
                WHERE lower(address.match[1]) = ANY(%(emails)s)""",
                since=since,
                by_user=self._authored_by_user_sql(),
                emails=list(emails),
                pattern=r'([^\s<>,;:"]+@[^\s<>,;:"]+)',
            )
        )
        return {email for (email,) in rows}

    @api.model
    def _authored_by_user_sql(self):
        """An incoming-type message written by an internal user: an email the
        user sent from their own mail client and copied to Odoo."""
        return SQL("m.author_id IN (SELECT partner_id FROM res_users WHERE share IS NOT TRUE)")
