/**
 * A rep works their day from "My Sequence Tasks": a manual email (the draft
 * is the step's email rendered for the prospect; they edit it and send it),
 * a call logged with its outcome from the queue's Log Call dialog, and a
 * call logged from the lead's chatter ("Mark Done" asks how it went).
 * Run by tests/test_ui.py (test_03_rep_works_the_day).
 */
import { registry } from "@web/core/registry";
import { patient, screenshot } from "./helpers";

const EDITED = "Hi Nora, any news from Northwind Traders? I attached our deck.";

function openMyTasks() {
    return [
        {
            content: "Open My Sequence Tasks",
            trigger: ".o_main_navbar [data-menu-xmlid='sales_sequence.menu_sales_sequence_root']",
            run: "click",
        },
        {
            trigger: ".dropdown-item[data-menu-xmlid='sales_sequence.menu_sales_sequence_my_tasks']",
            run: "click",
        },
    ];
}

registry.category("web_tour.tours").add("sales_sequence_rep_day_tour", {
    url: "/odoo/crm",
    steps: () =>
        patient([
            ...openMyTasks(),
            {
                content: "Today's tasks: the email to write, the calls with their number",
                trigger: ".o_kanban_record:contains(Write to Nora)",
            },
            {
                trigger: ".o_kanban_record:contains(Call Carl Caller) a[href^='tel:']",
            },
            screenshot("my_sequence_tasks"),
            {
                content: "Write the email",
                trigger: ".o_kanban_record:contains(Write to Nora) button[name=action_sales_sequence_write_email]",
                run: "click",
            },
            {
                content: "The draft is the step's email, rendered for Nora",
                trigger: ".modal .o_field_widget[name=subject] input:value(Following up, Nora)",
            },
            {
                trigger: ".modal .o_field_widget[name=body] .odoo-editor-editable p:contains(any news from Northwind Traders?)",
            },
            {
                content: "Edit the draft",
                trigger: ".modal .o_field_widget[name=body] .odoo-editor-editable p:contains(any news from Northwind Traders?)",
                run: `editor ${EDITED}`,
            },
            {
                trigger: `.modal .o_field_widget[name=body] .odoo-editor-editable:contains(${EDITED})`,
            },
            screenshot("manual_email_draft", ".modal"),
            {
                content: "Send it",
                trigger: ".modal .modal-footer button[name=action_send_mail]",
                run: "click",
            },
            {
                content: "Sent: the task left the queue",
                trigger: ".o_kanban_view:not(:has(.modal)):not(:has(.o_kanban_record:contains(Write to Nora)))",
            },
            {
                content: "Log the call to Carl",
                trigger: ".o_kanban_record:contains(Call Carl Caller) button[name=action_sales_sequence_open_log_call]",
                run: "click",
            },
            {
                trigger: ".modal .o_field_widget[name=outcome] input[data-value=not_interested]",
                run: "click",
            },
            {
                trigger: ".modal .o_field_widget[name=note] textarea",
                run: "edit Happy with their current provider",
            },
            screenshot("log_call", ".modal"),
            {
                trigger: ".modal .modal-footer button[name=action_log]",
                run: "click",
            },
            {
                content: "Logged: the call left the queue",
                trigger: ".o_kanban_view:not(:has(.modal)):not(:has(.o_kanban_record:contains(Call Carl Caller)))",
            },
            {
                content: "Open the lead of the other call",
                trigger: ".o_kanban_record:contains(Call Nora Northwind) button[name=action_open_document]",
                run: "click",
            },
            {
                trigger: ".o_form_view .o-mail-Activity:contains(Call Nora Northwind)",
            },
            {
                content: "Mark the call done from the chatter",
                trigger: ".o-mail-Activity:contains(Call Nora Northwind) .o-mail-Activity-markDone",
                run: "click",
            },
            {
                content: "It asks how the call went",
                trigger: ".o-mail-ActivityMarkAsDone .o_sales_sequence_call_outcomes button[data-outcome=connected]",
            },
            {
                trigger: ".o-mail-ActivityMarkAsDone textarea",
                run: "edit Demo booked for Thursday",
            },
            screenshot("call_outcome_chatter", ".o-mail-ActivityMarkAsDone"),
            {
                trigger: ".o-mail-ActivityMarkAsDone .o_sales_sequence_call_outcomes button[data-outcome=connected]",
                run: "click",
            },
            {
                content: "The outcome is in the chatter",
                trigger: ".o-mail-Message:contains(Call outcome: Connected):contains(Demo booked for Thursday)",
            },
            {
                trigger: ".o_form_view:not(:has(.o-mail-Activity:contains(Call Nora Northwind)))",
            },
        ]),
});
