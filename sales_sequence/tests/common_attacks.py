"""The attacker's toolkit (issue 14): a real salesman calling Odoo's external
API, ``/json/2/<model>/<method>`` with an API key, exactly as a script on
their laptop would; the server answers with that user's rights."""

import json
from datetime import datetime, timedelta

from odoo import Command
from odoo.tests import HttpCase
from odoo.tools import mute_logger

from odoo.addons.mail.tests.common import mail_new_test_user

from .common import BOUNCE_EMAIL, SalesSequenceCase

SECRET = "BLUEBIRD"


class ApiError(Exception):
    """The JSON-2 endpoint refused the call: ``name`` is the exception class
    (``odoo.exceptions.AccessError``...), ``message`` what the user reads."""

    def __init__(self, status, name, message):
        super().__init__("%s %s: %s" % (status, name, message))
        self.status, self.name, self.message = status, name, message


class AttackCase(SalesSequenceCase, HttpCase):
    """Two reps in two teams, a sales manager, a CEO, another company, a
    lead the rep may not read, and an API key for each attacker."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user_rep2 = mail_new_test_user(
            cls.env,
            login="rep2",
            name="Robin Rep",
            email="robin.rep@test.example.com",
            groups="sales_team.group_sale_salesman",
            tz="Europe/Brussels",
        )
        cls.user_ceo = mail_new_test_user(
            cls.env,
            login="ceo",
            name="Carla CEO",
            email="carla.ceo@test.example.com",
            groups="sales_team.group_sale_manager,base.group_system",
            tz="Europe/Brussels",
        )
        cls.company_b = cls.env["res.company"].create({"name": "Company B"})
        cls.user_other_company = mail_new_test_user(
            cls.env,
            login="othermanager",
            name="Olga Other",
            email="olga@b.example.com",
            groups="sales_team.group_sale_manager",
            company_id=cls.company_b.id,
            company_ids=[Command.set(cls.company_b.ids)],
        )
        Team = cls.env["crm.team"]
        cls.team_a = Team.create({"name": "Team A", "member_ids": [Command.set(cls.user_rep.ids)]})
        cls.team_b = Team.create({"name": "Team B", "member_ids": [Command.set(cls.user_rep2.ids)]})
        cls.seq_rep = cls._create_sequence(
            [cls._email()], name="Rachel's outbound", user_id=cls.user_rep.id, team_id=cls.team_a.id
        )
        cls.seq_rep2 = cls._create_sequence(
            [cls._email()], name="Robin's outbound", user_id=cls.user_rep2.id, team_id=cls.team_b.id
        )
        cls.seq_shared = cls._create_sequence([cls._email()], name="Company playbook", team_id=False)
        cls.seq_company_b = cls._create_sequence(
            [cls._email()],
            name="Company B outbound",
            user_id=cls.user_other_company.id,
            team_id=False,
            company_id=cls.company_b.id,
        )
        # a lead of another rep: the rep may not read it (own documents only)
        cls.lead_rep2 = cls.env["crm.lead"].create(
            {
                "name": "Robin's big deal",
                "email_from": "buyer@bigdeal.example.com",
                "contact_name": "Bea Buyer",
                "user_id": cls.user_rep2.id,
                "description": "<p>Budget 2M, %s closes in May</p>" % SECRET,
            }
        )
        cls.rep_key = cls._api_key(cls.user_rep)
        cls.manager_key = cls._api_key(cls.user_manager)

    @classmethod
    def _api_key(cls, user):
        return (
            cls.env["res.users.apikeys"]
            .with_user(user)
            ._generate(
                scope="rpc",
                name="attack",
                expiration_date=datetime.now() + timedelta(days=1),
            )
        )

    # ------------------------------------------------------------------
    # The external API
    # ------------------------------------------------------------------

    def api(self, model, method, ids=(), key=None, **kwargs):
        """``POST /json/2/<model>/<method>`` as the rep (or the owner of
        ``key``): the result, or ``ApiError``."""
        payload = dict(kwargs, ids=list(ids)) if ids else kwargs
        with mute_logger("odoo.http", "odoo.sql_db"):
            response = self.url_open(
                "/json/2/%s/%s" % (model, method),
                data=json.dumps(payload, default=str),
                timeout=60,
                headers={"Content-Type": "application/json", "Authorization": "Bearer %s" % (key or self.rep_key)},
            )
        self.env.invalidate_all()
        body = response.json() if response.content else None
        if response.status_code != 200:
            body = body if isinstance(body, dict) else {}
            raise ApiError(response.status_code, body.get("name"), body.get("message"))
        return body

    def assertRefused(self, model, method, ids=(), message=None, **kwargs):
        """The call fails with an access or user error (not a crash), and
        its message matches ``message`` when given."""
        with self.assertRaises(ApiError) as caught:
            self.api(model, method, ids, **kwargs)
        error = caught.exception
        self.assertIn(
            error.name,
            (
                "odoo.exceptions.AccessError",
                "odoo.exceptions.UserError",
                "odoo.exceptions.ValidationError",
            ),
            error,
        )
        if message:
            self.assertRegex(error.message, message)
        return error

    def enroll_through_the_wizard(self, sequence, records, key=None, **options):
        """What the rep's Enroll button does, through the API."""
        field_name = "lead_ids" if records._name == "crm.lead" else "partner_ids"
        wizard_id = self.api(
            "sales.sequence.enroll.wizard",
            "create",
            key=key,
            vals_list=[
                {
                    "sequence_id": sequence.id,
                    "res_model": records._name,
                    field_name: [Command.set(records.ids)],
                    **options,
                }
            ],
        )[0]
        self.api("sales.sequence.enroll.wizard", "action_enroll", [wizard_id], key=key)
        return self.env["sales.sequence.enroll.wizard"].browse(wizard_id)

    # ------------------------------------------------------------------
    # Mail from outside
    # ------------------------------------------------------------------

    def forge_bounce(self, message_id, recipient, token):
        """A delivery status notification returning ``message_id``, for
        ``recipient``, sent to the bounce address by anyone."""
        raw = BOUNCE_EMAIL.format(
            to="bounce.test@test.mycompany.com",
            token=token,
            recipient=recipient,
            original_msg_id=message_id,
            original_from="rachel.rep@test.example.com",
            original_subject="Hello",
        )
        return self.env["mail.thread"].sudo().message_process(None, raw)
