"""Uninstalling the bridge gives the engine's cron jobs back their own code."""

CRON_CODES = {  # cron xmlid: what it runs without the bridge
    "sales_sequence.ir_cron_process_due": "model._cron_process_due()",
    "sales_sequence.ir_cron_enroll_batches": "model._cron_process_queued()",
}


def uninstall_hook(env):
    for xmlid, code in CRON_CODES.items():
        cron = env.ref(xmlid, raise_if_not_found=False)
        if cron:
            cron.code = code
