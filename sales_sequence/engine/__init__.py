"""The sequence engine: plain Python around the ORM, not models.

- ``step_types``: the kinds of step, each declared once (the registry);
- ``runner``: executes one locked batch of due steps, one write per model;
- ``composer``: renders a step's email for a record and a sender;
- ``tracking``: open pixel and tracked links of the emails sent;
- ``send_quota``: the sending caps of a batch;
- ``enroller``: who enters a sequence, with every check, in bulk;
- ``audience``: the live audience of a sequence (who matches, who is new);
- ``deals``: the opportunities an enrollment watches (deal exits);
- ``chatter``: notes and followers for thousands of records in one insert;
- ``settings``: the CRM settings the engine reads, in one place.
"""
