"""Client actions the addon returns to the web client (pure: plain dicts)."""


def notification(title, message, kind="info", sticky=False, close=True):
    """A ``display_notification`` client action (``kind``: success, info,
    warning or danger) that closes the dialog it was opened from (``close``).

    >>> notification("Done", "3 enrolled", "success")["params"]["type"]
    'success'
    """
    params = {"title": title, "message": message, "type": kind, "sticky": sticky}
    if close:
        params["next"] = {"type": "ir.actions.act_window_close"}
    return {"type": "ir.actions.client", "tag": "display_notification", "params": params}
