/**
 * A sales manager builds a three-step cadence (an email with a variable, a
 * LinkedIn touch, a call), activates it, previews the email against a
 * contact, and looks at the enrollments board.
 * Run by tests/test_ui.py (test_01_manager_builds_sequence).
 */
import { registry } from "@web/core/registry";
import { patient, screenshot } from "./helpers";

const SEQUENCE_NAME = "Outbound: Operations Leaders";

function addStep({ type, delay, summary, subject, body, last = false }) {
    const steps = [];
    if (type !== "email") {
        steps.push({
            content: `Step type: ${type}`,
            trigger: `.modal .o_field_widget[name=step_type] input[data-value=${type}]`,
            run: "click",
        });
    }
    if (delay) {
        steps.push({
            content: "Delay in business days",
            trigger: ".modal .o_field_widget[name=delay_business_days] input",
            run: `edit ${delay}`,
        });
    }
    if (subject) {
        steps.push(
            {
                content: "Email subject, with a variable",
                trigger: ".modal .o_field_widget[name=subject] input",
                run: `edit ${subject}`,
            },
            {
                content: "Email body",
                trigger: ".modal .o_field_widget[name=body_html] .odoo-editor-editable",
                run: `editor ${body}`,
            },
            {
                trigger: `.modal .o_field_widget[name=body_html] .odoo-editor-editable:contains(${body})`,
            }
        );
    }
    if (summary) {
        steps.push({
            content: "Task summary",
            trigger: ".modal .o_field_widget[name=activity_summary] input",
            run: `edit ${summary}`,
        });
    }
    steps.push({
        content: last ? "Save & Close" : "Save & New",
        trigger: last
            ? ".modal .modal-footer .o_form_button_save"
            : ".modal .modal-footer .o_form_button_save_new",
        run: "click",
    });
    return steps;
}

registry.category("web_tour.tours").add("sales_sequence_builder_tour", {
    url: "/odoo/crm",
    steps: () =>
        patient([
            {
                content: "Open the Sequences menu of CRM",
                trigger: ".o_main_navbar [data-menu-xmlid='sales_sequence.menu_sales_sequence_root']",
                run: "click",
            },
            {
                trigger: ".dropdown-item[data-menu-xmlid='sales_sequence.menu_sales_sequence']",
                run: "click",
            },
            {
                content: "The demo sequences are listed",
                trigger: ".o_kanban_record:contains(Cold Outbound)",
            },
            screenshot("sequence_list"),
            {
                content: "Create a sequence",
                trigger: ".o_control_panel .o-kanban-button-new",
                run: "click",
            },
            {
                trigger: ".o_form_view .o_field_widget[name=name] input",
                run: `edit ${SEQUENCE_NAME}`,
            },
            {
                content: "Add the first step",
                trigger: ".o_field_widget[name=step_ids] .o_field_x2many_list_row_add a",
                run: "click",
            },
            ...addStep({
                type: "email",
                subject: "Quick question, {{ first_name }}",
                body: "Hi {{ first_name | default('there') }}, would a short call next week make sense?",
            }),
            {
                content: "The step is in the list, the dialog is ready for the next one",
                trigger: ".o_field_widget[name=step_ids] .o_data_row:contains(Quick question)",
            },
            {
                trigger: ".modal .o_field_widget[name=step_type] input[data-value=email]:checked",
            },
            ...addStep({
                type: "linkedin",
                delay: 1,
                summary: "Connect with {{ first_name }} on LinkedIn",
            }),
            {
                trigger: ".o_field_widget[name=step_ids] .o_data_row:contains(Connect with)",
            },
            {
                trigger: ".modal .o_field_widget[name=step_type] input[data-value=email]:checked",
            },
            ...addStep({
                type: "call",
                delay: 2,
                summary: "Call {{ full_name }}",
                last: true,
            }),
            {
                content: "Three steps, as a timeline",
                trigger: ".o_field_widget[name=step_ids] .o_data_row:nth-child(3):contains(Call {{ full_name }})",
            },
            {
                trigger: ".o_field_widget[name=step_ids] .o_data_row:nth-child(1) .o_sales_sequence_step_icon .fa-envelope",
            },
            {
                trigger: ".o_field_widget[name=step_ids] .o_data_row:nth-child(2):contains(Day 2 · LinkedIn)",
            },
            {
                trigger: ".o_field_widget[name=step_ids] .o_data_row:nth-child(3):contains(Day 4 · Call)",
            },
            {
                content: "Save the sequence",
                trigger: ".o_form_button_save",
                run: "click",
            },
            {
                trigger: ".o_form_saved",
            },
            {
                content: "Activate it",
                trigger: ".o_statusbar_buttons button[name=action_activate]",
                run: "click",
            },
            {
                content: "The sequence is active",
                trigger: ".o_statusbar_status button.o_arrow_button_current[data-value=active]",
            },
            {
                trigger: ".o_statusbar_buttons button[name=action_open_enroll_wizard]",
            },
            screenshot("sequence_builder"),
            {
                content: "Open the email step again",
                trigger: ".o_field_widget[name=step_ids] .o_data_row:nth-child(1) .o_data_cell[name=name]",
                run: "click",
            },
            {
                content: "Preview it against a contact",
                trigger: ".modal button[name=action_open_preview]",
                run: "click",
            },
            {
                content: "Subject and body rendered for a real contact",
                trigger: ".modal .o_field_widget[name=subject]:contains(Quick question, ):not(:contains({{))",
            },
            {
                trigger: ".modal .o_field_widget[name=body_html]:contains(would a short call next week make sense):not(:contains({{))",
            },
            screenshot("email_preview"),
            {
                content: "Close the preview",
                trigger: ".modal:has(.o_field_widget[name=record_ref]) .modal-footer button:contains(Close)",
                run: "click",
            },
            {
                content: "Close the step",
                trigger: ".modal:not(:has(.o_field_widget[name=record_ref])) .modal-footer .o_form_button_cancel",
                run: "click",
            },
            {
                trigger: "body:not(:has(.modal))",
            },
            {
                content: "Open the enrollments board",
                trigger: ".o_main_navbar [data-menu-xmlid='sales_sequence.menu_sales_sequence_root']",
                run: "click",
            },
            {
                trigger: ".dropdown-item[data-menu-xmlid='sales_sequence.menu_sales_sequence_enrollment']",
                run: "click",
            },
            {
                content: "Enrollments are grouped by state",
                trigger: ".o_kanban_view .o_kanban_group .o_column_title:contains(Active)",
            },
            {
                trigger: ".o_kanban_view .o_kanban_record:contains(Cold Outbound)",
            },
            screenshot("enrollment_kanban"),
        ]),
});
