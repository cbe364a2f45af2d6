"""Stored related fields precomputed once per related record, not per record.

To precompute a field on ``create``, the ORM builds a new record per created
record and computes the field on it (``_add_precomputed_values``): for an
enrollment's company, a trace's sequence and a trace's step type, that was a
fifth of a bulk enrollment and a twentieth of the engine's batch. A related
field depends only on the record its relation points to, which thousands of
the created records share: :func:`related_once` reads each such record once.
"""


def related_once(model, vals_list, names):
    """Fill the stored related fields ``names`` (one hop: ``"step_id.step_type"``)
    in ``vals_list`` as ``model._add_precomputed_values`` gets them, as the
    ORM computes them (as superuser) and marked precomputed. A value whose
    relation is not given as an id is left to the ORM. ``names`` should be
    all of the model's precomputed fields: the ORM builds its new record for
    any values that still miss one."""
    for name in names:
        field = model._fields[name]
        source_name, target_name = field.related.split(".")
        wanted = {vals.get(source_name) for vals in vals_list if name not in vals}
        wanted = {source_id for source_id in wanted if isinstance(source_id, int) and source_id}
        if not wanted:
            continue
        # sudo: as related fields compute (compute_sudo)
        sources = model.env[model._fields[source_name].comodel_name].sudo().browse(wanted)
        target = sources._fields[target_name]
        values = {source.id: target.convert_to_write(source[target_name], source) for source in sources}
        for vals in vals_list:
            if name not in vals and vals.get(source_name) in values:
                vals[name] = values[vals[source_name]]
                vals.setdefault("__precomputed__", set()).add(field)
