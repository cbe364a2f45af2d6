"""A sequence's live audience: who matches its conditions now, and who enters.

``Audience(sequence)`` reads the audience domain (``audience_model``,
``audience_domain``) with the rights of the sequence's owner in the
sequence's company: the domain is rep-written input, never evaluated as
superuser, and a record the owner cannot read never matches.

``sync(now)`` enrolls, chunk by chunk and through ``engine.enroller`` (the
usual checks: duplicates and same address, suppression list, company,
sender, conflicts), the matching records that never went through the
sequence, at most ``daily_enroll_limit`` a day. Each chunk is one SQL query
with ``LIMIT``: the owner's domain and record rules, an anti-join on the
sequence's enrollments (a record that ever ran in it is passed over unless
``allow_reenroll``; then it comes back once it left and was changed since),
and an anti-join on the records set aside recently (``sales.sequence.
audience.skip``: refused by a check, retried a day later), so that a record
that cannot enter never holds the others back. A run walks the audience once
in id order (each chunk starts after the previous one). Nothing is loaded
into Python for the records that went through: the database probes the
enrollments and set-aside rows by index and returns only new matches.
"""

from datetime import timedelta

from odoo.tools import SQL

from ..tools import schedule
from .enroller import Enroller

RETRY_AFTER = timedelta(days=1)
RUNNING_OR_STUCK = ("active", "paused", "failed")


class Audience:
    """The live audience of one sequence (any environment: the audience
    itself is read as the sequence's owner, or as the viewer of a preview
    who may not act as the owner)."""

    def __init__(self, sequence, owner=None):
        """``owner``: whose rights read the audience, the sequence's owner
        unless given (a preview for someone who may not act as the owner)."""
        sequence.ensure_one()
        self.sequence = sequence
        self.env = sequence.env
        self.owner = owner or sequence.user_id

    # ------------------------------------------------------------------
    # Who matches
    # ------------------------------------------------------------------

    def owner_problem(self):
        """Why the owner cannot hold an audience (a message), or False."""
        # sudo: whoever looks at the sequence, its owner's status counts
        owner, company = self.owner.sudo(), self.sequence.company_id
        if not owner or not owner.active or owner.share:
            return self.env._("A live audience needs an owner who is an active internal user.")
        if company not in owner.company_ids:
            return self.env._(
                "The owner %(owner)s does not work for %(company)s.", owner=owner.name, company=company.name
            )
        return False

    def model(self):
        """The audience model as the owner, in the sequence's company only."""
        return (
            self.env[self.sequence.audience_model]
            .with_user(self.owner)
            .with_context(
                allowed_company_ids=self.sequence.company_id.ids,
                active_test=True,
            )
        )

    def _query(self, now, new_only=True, after_id=0):
        model = self.model()
        if new_only:  # our own SQL below reads these tables: pending writes first
            self.env["sales.sequence.enrollment"].flush_model(
                ["sequence_id", "partner_id", "lead_id", "state", "ended_at"]
            )
            self.env["sales.sequence.audience.skip"].flush_model()
            self.env["mail.blacklist"].flush_model(["email", "active"])
            model.flush_model(["write_date", "email_normalized"])
        query = model._search(self.sequence._get_audience_domain())
        if new_only and not query.is_empty():
            query.add_where(self._never_through(query.table, after_id))
            query.add_where(self._not_set_aside(query.table, now, after_id))
        if after_id:
            query.add_where(SQL("%s > %s", SQL.identifier(query.table, "id"), after_id))
        return model, query

    def count(self, now, new_only=False, unsuppressed=False):
        """How many records match (``new_only``: and never went through,
        ``unsuppressed``: and are not on the suppression list)."""
        model, query = self._query(now, new_only)
        if query.is_empty():
            return 0
        if unsuppressed:
            query.add_where(self._not_suppressed(model, query.table))
        return self.env.execute_query(SQL("SELECT COUNT(*) FROM (%s) AS audience", query.select()))[0][0]

    def candidates(self, now, limit, after_id=0):
        """At most ``limit`` matching records that may enter, oldest first
        (after ``after_id``: a run walks the audience once, never back over
        the chunks it already enrolled)."""
        model, query = self._query(now, after_id=after_id)
        if query.is_empty():
            return model.browse()
        query.order = SQL("%s", SQL.identifier(query.table, "id"))
        query.limit = limit
        return model.browse(row[0] for row in self.env.execute_query(query.select()))

    def _never_through(self, table, after_id=0):
        """The record has no enrollment in the sequence (with ``allow_reenroll``:
        none running or failed, and it changed since its last one ended).
        ``after_id`` (the records looked at are past it) is said again on the
        enrollments' side: the database then reads only their enrollments
        (by index), not all of the sequence's."""
        sequence = self.sequence
        is_lead = sequence.audience_model == "crm.lead"
        key = SQL.identifier("enrollment", "lead_id" if is_lead else "partner_id")
        condition = SQL(
            "enrollment.sequence_id = %s AND %s = %s", sequence._origin.id or 0, key, SQL.identifier(table, "id")
        )
        if after_id:
            condition = SQL("%s AND %s > %s", condition, key, after_id)
        if not is_lead:
            condition = SQL("%s AND enrollment.lead_id IS NULL", condition)
        if sequence.allow_reenroll:
            condition = SQL(
                "%s AND (enrollment.state IN %s OR enrollment.ended_at IS NULL OR enrollment.ended_at >= %s)",
                condition,
                RUNNING_OR_STUCK,
                SQL.identifier(table, "write_date"),
            )
        return SQL("NOT EXISTS (SELECT 1 FROM sales_sequence_enrollment enrollment WHERE %s)", condition)

    def _not_set_aside(self, table, now, after_id=0):
        return SQL(
            """NOT EXISTS (SELECT 1 FROM sales_sequence_audience_skip skip
                            WHERE skip.sequence_id = %s AND skip.res_id = %s AND skip.retry_at > %s
                              AND skip.res_id > %s)""",
            self.sequence._origin.id or 0,
            SQL.identifier(table, "id"),
            now,
            after_id,
        )

    def _not_suppressed(self, model, table):
        email = SQL.identifier(table, "email_normalized")
        if model._name == "crm.lead":
            email = SQL(
                "COALESCE(%s, (SELECT email_normalized FROM res_partner WHERE id = %s))",
                email,
                SQL.identifier(table, "partner_id"),
            )
        return SQL(
            "NOT EXISTS (SELECT 1 FROM mail_blacklist blacklist WHERE blacklist.active AND blacklist.email = %s)",
            email,
        )

    # ------------------------------------------------------------------
    # Who enters
    # ------------------------------------------------------------------

    def room(self, today):
        """How many more may enter today (None: no limit)."""
        sequence = self.sequence
        if not sequence.daily_enroll_limit:
            return None
        done = sequence.audience_day_count if sequence.audience_day == today else 0
        return max(sequence.daily_enroll_limit - done, 0)

    def sync(self, now, run_limit, chunk_size, keep_going=None):
        """Enroll the new matches, chunk by chunk (each in a savepoint), at
        most ``run_limit`` records looked at in this run; ``keep_going(count)``
        runs after each chunk (the cron commits there) and may stop the run.

        :return: ``(enrolled count, whether matches are left for another run)``
        """
        # sudo: the day's counter is the engine's bookkeeping (the audience is read as the owner)
        sequence = self.sequence.sudo()
        today = schedule.local_date(now, sequence.tz)
        enroller = Enroller(sequence.with_user(self.owner).with_company(sequence.company_id), audience=True)
        enrolled = looked_at = last_id = 0
        while looked_at < run_limit:
            room = self.room(today)
            size = min(chunk_size, run_limit - looked_at, chunk_size if room is None else room)
            if size <= 0:
                return enrolled, False
            with self.env.cr.savepoint():
                records = self.candidates(now, size, after_id=last_id)
                count = self._enroll(enroller, records, now, today) if records else 0
            if not records:
                return enrolled, False
            enrolled += count
            looked_at += len(records)
            last_id = max(records.ids)
            if len(records) < size:
                return enrolled, False
            if keep_going and not keep_going(count):
                return enrolled, True
        return enrolled, True

    def _enroll(self, enroller, records, now, today):
        # sudo: the day's counter is the engine's bookkeeping
        sequence = self.sequence.sudo()
        enroller.sequence._check_can_enroll(records)
        result = enroller.enroll(records, start_at=now)
        count = len(result["enrolled"])
        kept_today = sequence.audience_day_count if sequence.audience_day == today else 0
        sequence.write({"audience_day": today, "audience_day_count": kept_today + count, "audience_synced_at": now})
        self._set_aside(result, now)
        return count

    def _set_aside(self, result, now):
        """Remember the records that could not enter, with why, until ``RETRY_AFTER``."""
        reasons = dict(result["failure_reasons"])
        duplicate = self.env._("Already running in this sequence (the record, or someone with the same address).")
        reasons.update(dict.fromkeys(result["skipped_duplicates"].ids, duplicate))
        if reasons:
            # sudo: the engine's bookkeeping (users only read the set-aside records)
            self.env["sales.sequence.audience.skip"].sudo().create(
                [
                    {
                        "sequence_id": self.sequence.id,
                        "res_id": record_id,
                        "reason": reason[:500],
                        "retry_at": now + RETRY_AFTER,
                    }
                    for record_id, reason in reasons.items()
                ]
            )
