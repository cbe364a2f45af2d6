"""Who enters a sequence, and how.

``Enroller(sequence, user).plan(records)`` says what enrolling ``records``
would do without doing it (the bulk wizard's preview); ``.enroll(records,
start_at, stagger_days)`` does it. Every enrollment comes through here (forms,
bulk enrollment, automation rules, the live audience), with the same checks:
already running in the sequence (the record, or anyone with the same
normalised address, as a contact or as a lead), company, sender, conflicts
with the other sequences the person runs in (``allow_concurrent``,
``priority`` and the company's cap). The live audience (``audience=True``)
also refuses addresses on the suppression list: nobody asked to enroll them.

A conflict is settled only among sequences of the sequence's company that the
enrolling user may edit: a rep cannot push anybody out of someone else's
sequence (they are then simply not enrolled).
"""

from collections import defaultdict
from dataclasses import dataclass

from odoo import fields
from odoo.fields import Domain

from ..tools import stagger
from . import chatter
from .composer import recipient_email
from .deals import Deals


@dataclass
class Plan:
    """What enrolling a set of records would do."""

    to_enroll: object  # records
    duplicates: object  # records already running in the sequence
    failed: object  # records that may not enter
    failure_reasons: dict  # {record id: message}
    superseded: object  # running enrollments elsewhere that entering would exit


class Enroller:
    """Enrolls records into one sequence, as the current user, sent by
    ``user`` (default: each record's salesperson, else the current user).
    With ``audience``, the records come from the sequence's live audience:
    suppressed addresses are refused and the enrollments say where they
    came from."""

    def __init__(self, sequence, user=None, audience=False):
        sequence.ensure_one()
        self.sequence = sequence
        self.env = sequence.env
        self.user = user
        self.audience = audience
        self._senders = {}  # {record id: its default sender}
        self._clocks = self._first_delays = None  # _first_due's memory

    # ------------------------------------------------------------------
    # Planning (no writes)
    # ------------------------------------------------------------------

    def plan(self, records):
        duplicates = self._find_enrolled(records)
        duplicates |= self._find_same_address(records - duplicates)
        failure_reasons = self._failure_reasons(records - duplicates)
        candidates = records - duplicates - records.browse(failure_reasons)
        conflict_reasons, superseded = self._resolve_conflicts(candidates)
        failure_reasons.update(conflict_reasons)
        failed = records.browse(failure_reasons)
        return Plan(candidates - failed, duplicates, failed, failure_reasons, superseded)

    def _find_enrolled(self, records):
        """The records already running (active or paused) in this sequence."""
        Enrollment = self.env["sales.sequence.enrollment"]
        # sudo: a duplicate sent by another rep counts too, even unseen
        running = Enrollment.sudo().search(
            Enrollment._running_domain(records, through_leads=False) & Domain("sequence_id", "=", self.sequence.id)
        )
        key = "lead_id" if records._name == "crm.lead" else "partner_id"
        return records.browse(running[key].ids)

    def _find_same_address(self, records):
        """The records whose normalised address already runs in this
        sequence (whether as a contact or as a lead), or belongs to a record
        before them in ``records``: one address runs once per sequence."""
        emails = addresses(records)
        if not emails:
            return records.browse()
        wanted = list(set(emails.values()))
        # sudo: an address sent to by another rep counts too, even unseen;
        # the people with these addresses first (by index), then their
        # running enrollments here, never a scan of the sequence's enrollments
        partners = (
            self.env["res.partner"].sudo().with_context(active_test=False).search([("email_normalized", "in", wanted)])
        )
        leads = self.env["crm.lead"].sudo().with_context(active_test=False).search([("email_normalized", "in", wanted)])
        running = (
            self.env["sales.sequence.enrollment"]
            .sudo()
            .search_fetch(
                Domain("sequence_id", "=", self.sequence.id)
                & Domain("state", "in", ("active", "paused"))
                & (Domain("partner_id", "in", partners.ids) | Domain("lead_id", "in", leads.ids)),
                ["lead_id", "partner_id"],
            )
        )
        taken = {recipient_email(enrollment.lead_id, enrollment.partner_id) for enrollment in running}
        same = []
        for record in records:
            email = emails.get(record.id)
            if not email:
                continue
            if email in taken:
                same.append(record.id)
            taken.add(email)
        return records.browse(same)

    def sender_of(self, record):
        """Who sends to ``record``: the user named, else its default sender."""
        if self.user:
            return self.user
        if record.id not in self._senders:
            self._senders[record.id] = self.sequence._default_sender(record)
        return self._senders[record.id]

    def _failure_reasons(self, records):
        reasons = {}
        suppressed = self._suppressed(records) if self.audience else {}
        fit_senders = set()  # checked once each: thousands of records share a few senders
        for record in records:
            sender = self.sender_of(record)
            reason = suppressed.get(record.id) or self._record_failure(record)
            if not reason and sender not in fit_senders:
                reason = self._sender_failure(sender, record)
                if not reason:
                    fit_senders.add(sender)
            if reason:
                reasons[record.id] = reason
        return reasons

    def _suppressed(self, records):
        """``{record id: reason}`` of the records whose address is on the suppression list."""
        emails = addresses(records)
        suppressed = self.env["mail.blacklist"]._sales_sequence_suppressed(set(emails.values()))
        return {
            record_id: self.env._("%s is on the suppression list (unsubscribed or blacklisted).", email)
            for record_id, email in emails.items()
            if email in suppressed
        }

    def _record_failure(self, record):
        env, sequence = self.env, self.sequence
        if record.company_id and record.company_id != sequence.company_id:
            return env._(
                "%(record)s belongs to %(company)s, not to the sequence's company.",
                record=record.display_name,
                company=record.company_id.name,
            )
        if record._name == "res.partner" and not record.active:
            return env._("%s is archived.", record.display_name)
        return False

    def _sender_failure(self, sender, record):
        env, sequence = self.env, self.sequence
        if not sender.active:
            return env._("The sender %s is archived.", sender.name)
        if sequence.company_id not in sender.company_ids:
            return env._(
                "The sender %(sender)s does not work for %(company)s.",
                sender=sender.name,
                company=sequence.company_id.name,
            )
        if not sequence._may_send_as(sender):
            return env._(
                "Only a sequence manager can send in the name of %(sender)s: "
                "choose yourself as the sender to enroll %(record)s.",
                sender=sender.name,
                record=record.display_name,
            )
        if sequence._has_email_steps() and not sender.email:
            return env._("The sender %s has no email address.", sender.name)
        return False

    # ------------------------------------------------------------------
    # Conflicts between sequences (priority, allow_concurrent, cap)
    # ------------------------------------------------------------------

    def _resolve_conflicts(self, records):
        """Settle ``records``' running enrollments in other sequences.

        When this sequence or one the person already runs in does not allow
        other sequences at the same time, the higher priority wins (1 is the
        highest; on a tie the running one stays). A losing running enrollment
        would exit (``other_sequence``); a losing newcomer fails. The
        company's cap on concurrent sequences fails a record too.

        :return: ``({record id: reason}, superseded enrollments)``
        """
        sequence = self.sequence
        # sudo: the person's enrollments by any sender count; only those in
        # sequences the user may edit are superseded (_may_supersede)
        Enrollment = self.env["sales.sequence.enrollment"].sudo()
        running = self.running_elsewhere(records)
        cap = sequence.company_id.sales_sequence_max_concurrent
        reasons, superseded_ids = {}, set()
        for record in records:
            others = Enrollment.browse(running.get(record.id, ()))
            if not others:
                continue
            conflicting = others.filtered(lambda e: conflicts(sequence, e.sequence_id))
            winner = conflicting.filtered(lambda e: not outranks(sequence, e.sequence_id))[:1]
            if not winner:
                winner = conflicting.filtered(lambda e: not self._may_supersede(e.sequence_id))[:1]
            if winner:
                reasons[record.id] = self.env._(
                    "%(record)s is running in the sequence “%(sequence)s”, which has priority over this one.",
                    record=record.display_name,
                    sequence=self._name_of(winner.sequence_id),
                )
                continue
            staying = (others - conflicting).sequence_id
            if cap and len(staying) >= cap:
                reasons[record.id] = self.env._(
                    "%(record)s is already in %(count)s sequences: the limit is %(limit)s at a time.",
                    record=record.display_name,
                    count=len(staying),
                    limit=cap,
                )
                continue
            superseded_ids.update(conflicting.ids)
        return reasons, Enrollment.browse(sorted(superseded_ids))

    def _may_supersede(self, other):
        """Whether enrolling here may push people out of ``other``: only a
        sequence the enrolling user may edit."""
        return self.env.su or other.with_env(self.env).has_access("write")

    def _name_of(self, other):
        other = other.with_env(self.env)
        return other.name if other.has_access("read") else self.env._("another sequence")

    def running_elsewhere(self, records):
        """Running enrollments of the same people in the other active
        sequences of the company: for a contact, every enrollment of that
        contact (directly or through a lead); for a lead, those of the lead
        and of its contact.

        :return: ``{record id: [enrollment ids]}`` (records with none are absent)
        """
        if not records:
            return {}
        Enrollment = self.env["sales.sequence.enrollment"]
        is_lead = records._name == "crm.lead"
        people = Enrollment._running_domain(records)
        if is_lead:
            people |= Enrollment._running_domain(records.partner_id)
        # sudo: read only, every sender's enrollments in the company count
        enrollments = Enrollment.sudo().search_fetch(
            people
            & Domain(
                [
                    ("sequence_id", "!=", self.sequence.id),
                    ("sequence_id.active", "=", True),
                    ("company_id", "=", self.sequence.company_id.id),
                ]
            ),
            ["partner_id", "lead_id", "sequence_id"],
        )
        by_partner, by_lead = defaultdict(list), defaultdict(list)
        for enrollment in enrollments:
            by_partner[enrollment.partner_id.id].append(enrollment.id)
            by_lead[enrollment.lead_id.id].append(enrollment.id)
        result = {}
        for record in records:
            partner_id = record.partner_id.id if is_lead else record.id
            found = set(by_partner.get(partner_id, ()) if partner_id else ())
            if is_lead:
                found.update(by_lead.get(record.id, ()))
            if found:
                result[record.id] = sorted(found)
        return result

    # ------------------------------------------------------------------
    # Enrolling
    # ------------------------------------------------------------------

    def enroll(self, records, start_at=None, stagger_days=0):
        """Enroll ``records`` (already checked by ``sequence._check_can_enroll``).

        :return: ``{'enrolled', 'skipped_duplicates', 'failed', 'failure_reasons'}``
        """
        plan = self.plan(records)
        plan.superseded.action_exit("other_sequence")
        starts = self.start_times(start_at or fields.Datetime.now(), len(plan.to_enroll), stagger_days)
        enrollments = self._create(plan.to_enroll, starts)
        return {
            "enrolled": enrollments,
            "skipped_duplicates": plan.duplicates,
            "failed": plan.failed,
            "failure_reasons": plan.failure_reasons,
        }

    def start_times(self, start_at, count, stagger_days=0):
        """``count`` start times: all ``start_at``, or spread evenly over the
        open send window of ``stagger_days`` sending days."""
        sequence = self.sequence
        if not stagger_days or count <= 1:
            return [start_at] * count
        return stagger.spread_starts(
            start_at,
            stagger_days,
            count,
            sequence.tz,
            sequence.window_start,
            sequence.window_end,
            sequence.weekdays_only,
        )

    def _create(self, records, starts):
        """One ``create`` for all of ``records`` (starting at ``starts``), the
        audit notes and the engine's wake-up."""
        Enrollment = self.env["sales.sequence.enrollment"]
        # tracking_disable: no per-record follower queries nor "assigned to
        # you" emails; senders follow their enrollments, subscribed per sender.
        # sudo: plan() checked these values with the enrolling user's rights;
        # the step and timing are the engine's (sales.sequence.guard.mixin)
        deals = self._deals(records)
        enrollments = (
            Enrollment.sudo()
            .with_context(tracking_disable=True)
            .create([self._values(record, start, deals) for record, start in zip(records, starts, strict=True)])
            .with_env(Enrollment.env)
        )
        for sender, sent_by in enrollments.grouped("user_id").items():
            # the sender follows, whoever enrolled
            chatter.follow(self.env, Enrollment._name, sent_by.ids, sender.partner_id)
        enrollments._log_enrolled()
        Enrollment._schedule_wakeup(enrollments.mapped("next_run_at"))
        return enrollments

    def _deals(self, records):
        """The opportunities the new enrollments start watching (``engine.deals``)."""
        is_lead = records._name == "crm.lead"
        partners = records.partner_id if is_lead else records
        return Deals.load(self.env, partners.commercial_partner_id, records if is_lead else records.browse())

    def _first_due(self, partner, sender, start_at):
        """When the first step is due for ``partner`` sent by ``sender``
        (one clock per timezone and sender, the first step's delays once)."""
        first_step = self.sequence.step_ids[:1]
        if not first_step:
            return False
        if self._clocks is None:
            self._clocks, self._first_delays = {}, first_step._delays()
        key = (self.sequence._timezone_for(partner), sender.id)
        if key not in self._clocks:
            self._clocks[key] = self.sequence._clock(partner, sender)
        return self._clocks[key].due(start_at, **self._first_delays)

    def _values(self, record, start_at, deals):
        sequence = self.sequence
        is_lead = record._name == "crm.lead"
        partner = record.partner_id if is_lead else record
        sender = self.sender_of(record)
        values = {
            "sequence_id": sequence.id,
            "lead_id": record.id if is_lead else False,
            "partner_id": partner.id or False,
            "user_id": sender.id,
            "enrolled_at": start_at,
            "last_run_at": start_at,
            "step_id": sequence.step_ids[:1].id,
            "next_run_at": self._first_due(partner, sender, start_at),
            "start_deals": deals.snapshot(
                partner.commercial_partner_id.id, record.id if is_lead else None, sequence.company_id.id
            ),
            "from_audience": self.audience,
        }
        if is_lead:
            values.update(start_stage_id=record.stage_id.id, start_won_status=start_won_status(record))
        return values


def addresses(records):
    """``{record id: normalised address}`` of the contacts or leads that have
    one, as the engine writes to them (a lead falls back on its contact's)."""
    is_lead = records._name == "crm.lead"
    emails = {}
    for record in records:
        email = recipient_email(record, record.partner_id) if is_lead else recipient_email(None, record)
        if email:
            emails[record.id] = email
    return emails


def conflicts(sequence, other):
    """Two sequences conflict when either refuses to share its people."""
    # sudo: the other sequence's setting counts even when the user may not read it
    return not (sequence.allow_concurrent and other.sudo().allow_concurrent)


def outranks(sequence, other):
    """Strictly higher priority (1 is the highest; a tie keeps the running one)."""
    # sudo: the other sequence's priority counts even when the user may not read it
    return sequence.priority < other.sudo().priority


def start_won_status(lead):
    """The lead's won status at enrollment; an archived lead counts as lost.
    Marking a lead lost archives it before zeroing its probability, so a rule
    enrolling it "on archive" sees it still pending: without this, the lost
    status arriving right after would exit the enrollment."""
    if not lead.active and lead.won_status == "pending":
        return "lost"
    return lead.won_status
