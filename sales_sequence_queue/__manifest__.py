{
    "name": "Sales Sequences on Job Queue",
    "version": "19.0.1.0.0",
    "category": "Sales/CRM",
    "summary": "Run the sales sequence engine as queue_job jobs, in parallel on every Odoo server",
    "author": "sales_sequence contributors",
    "website": "https://github.com/sales-sequence/sales_sequence",
    "license": "LGPL-3",
    "depends": ["sales_sequence", "queue_job"],
    "data": [
        "data/queue_job_data.xml",
        "data/ir_cron_data.xml",
    ],
    "uninstall_hook": "uninstall_hook",
    "auto_install": True,
}
