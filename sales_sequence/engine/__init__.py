"""The sequence engine: plain Python around the ORM, not models.

- ``step_types``: the kinds of step, each declared once (the registry);
- ``runner``: executes one locked batch of due steps, one write per model;
- ``composer``: renders a step's email for a record and a sender;
- ``tracking``: open pixel and tracked links of the emails sent;
- ``send_quota``: the sending caps of a batch.
"""
