"""The opportunities (deals) an enrollment watches, and the exits they cause.

At enrollment, the engine notes the opportunities of the person's company
(``commercial_partner_id``) — and, for a lead enrollment, the lead itself
when it is an opportunity — with their stage and won status: the
enrollment's ``start_deals`` snapshot. Later, comparing that snapshot with the
opportunities as they are now says what happened, without trusting clocks:

- ``won`` / ``lost``: one of the *contact's own* opportunities (its
  ``partner_id`` is the enrolled contact) was won or lost since (a contact
  enrollment follows its opportunities as a lead enrollment follows its lead);
- ``stage_changed``: one of them moved to another stage (into one of the exit
  stages, when the sequence names some);
- ``deal_created``: an opportunity that was not there appeared for the
  contact or anyone at its company (created, converted from a lead, or moved
  to that company).

Only the opportunities of the enrollment's own Odoo company count (or of no
company): a deal recorded in another company of the database, by another
team, is not this company's news.

Lead enrollments keep following their own lead (``start_stage_id`` and
``start_won_status``); only ``deal_created`` reads the snapshot for them.
An enrollment without a snapshot (made before this existed) is not followed.
Everything here reads the deals of a whole batch of enrollments in one query.
"""

from dataclasses import dataclass

from odoo.fields import Domain

PENDING = "pending"


@dataclass(frozen=True)
class Deal:
    id: int
    partner_id: int
    company_id: int  # the commercial partner of the deal's contact (0: none)
    stage_id: int
    won_status: str
    res_company_id: int = 0  # the Odoo company the opportunity belongs to (0: none, counts for every company)


class Deals:
    """The opportunities of some companies (and some leads), as they are now."""

    def __init__(self, deals):
        self.by_id = {deal.id: deal for deal in deals}
        self.by_company = {}
        for deal in deals:
            if deal.company_id:
                self.by_company.setdefault(deal.company_id, []).append(deal)

    @classmethod
    def load(cls, env, companies, leads):
        """The opportunities (archived ones included) of ``companies``
        (commercial partners, ``res.partner``) and ``leads`` that are
        opportunities: one query (sudo: the engine's bookkeeping)."""
        if not companies and not leads:
            return cls([])
        Lead = env["crm.lead"].sudo().with_context(active_test=False)
        where = Domain("id", "in", leads.ids)
        if companies:
            where |= Domain("partner_id.commercial_partner_id", "in", companies.ids)
        found = Lead.search_fetch(
            Domain("type", "=", "opportunity") & where,
            ["partner_id", "stage_id", "won_status", "company_id"],
        )
        return cls(
            [
                Deal(
                    lead.id,
                    lead.partner_id.id,
                    lead.partner_id.commercial_partner_id.id,
                    lead.stage_id.id,
                    lead.won_status or PENDING,
                    lead.company_id.id,
                )
                for lead in found
            ]
        )

    def watched(self, company_id, lead_id=None, res_company_id=None):
        """The deals an enrollment of ``company_id`` (and ``lead_id``) watches,
        in the Odoo company ``res_company_id`` (None: in any)."""
        deals = {
            deal.id: deal
            for deal in self.by_company.get(company_id, ())
            if res_company_id is None or deal.res_company_id in (0, res_company_id)
        }
        if lead_id and lead_id in self.by_id:
            deals[lead_id] = self.by_id[lead_id]
        return deals

    def snapshot(self, company_id, lead_id=None, res_company_id=None):
        """The ``start_deals`` value of a new enrollment (never empty: an
        enrollment with a snapshot and no deal is followed too)."""
        watched = self.watched(company_id, lead_id, res_company_id)
        return {"deals": {str(deal.id): [deal.stage_id, deal.won_status] for deal in watched.values()}}


def exit_reason(snapshot, deals, rules, partner_id=None, company_id=None, lead_id=None, res_company_id=None):
    """Why an enrollment exits given its deals, or False.

    :param snapshot: the enrollment's ``start_deals`` (None: not followed)
    :param deals: ``Deals`` loaded for the batch
    :param rules: ``Rules`` of its sequence
    :param partner_id: the enrolled contact when the enrollment has no lead
        (its own opportunities are followed), else None
    :param company_id: the commercial partner of the enrolled person
    :param lead_id: the enrolled lead, if any
    :param res_company_id: the enrollment's Odoo company (None: deals of any company count)
    """
    if not snapshot:
        return False
    before = snapshot.get("deals", {})
    watched = deals.watched(company_id, lead_id, res_company_id)
    if partner_id:
        own = [deal for deal in watched.values() if deal.partner_id == partner_id]
        reason = _own_deal_reason(own, before, rules)
        if reason:
            return reason
    if rules.on_deal_created and any(str(deal_id) not in before for deal_id in watched):
        return "deal_created"
    return False


def _own_deal_reason(own, before, rules):
    if rules.on_won_lost:
        for deal in own:
            start_status = before.get(str(deal.id), [None, PENDING])[1]
            if deal.won_status in ("won", "lost") and deal.won_status != start_status:
                return deal.won_status
    if rules.on_stage_change:
        for deal in own:
            start = before.get(str(deal.id))
            moved = start and deal.stage_id != start[0]
            if moved and (not rules.exit_stage_ids or deal.stage_id in rules.exit_stage_ids):
                return "stage_changed"
    return False


@dataclass(frozen=True)
class Rules:
    """The exit toggles of a sequence that deals drive."""

    on_won_lost: bool
    on_stage_change: bool
    exit_stage_ids: frozenset
    on_deal_created: bool

    @classmethod
    def of(cls, sequence):
        stages = frozenset(sequence.exit_stage_ids.ids) if sequence.exit_on_stage_change else frozenset()
        return cls(sequence.exit_on_won_lost, sequence.exit_on_stage_change, stages, sequence.exit_on_deal_created)
