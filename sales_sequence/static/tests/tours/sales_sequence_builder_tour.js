/**
 * A sales manager builds a cadence on the timeline of the Steps tab: three
 * steps from the step dialog (an email with a variable, a LinkedIn touch, a
 * call), the LinkedIn title and the call's delay edited in place, a task
 * added between the email and the LinkedIn touch, the call dragged before
 * the LinkedIn touch, the email previewed before anything is saved; then
 * they save and activate it, add a last step to the saved sequence, and look
 * at the enrollments board.
 * Run by tests/test_ui.py (test_01_manager_builds_sequence).
 */
import { registry } from "@web/core/registry";
import { patient, screenshot } from "./helpers";

const SEQUENCE_NAME = "Outbound: Operations Leaders";
const STEP = ".o_field_widget[name=step_ids] .o_sales_sequence_timeline_step";

function fillStep({ type, delay, summary, subject, body, next = "new" }) {
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
        content: next === "new" ? "Save & New" : "Save & Close",
        trigger:
            next === "new"
                ? ".modal .modal-footer .o_form_button_save_new"
                : ".modal .modal-footer .o_form_button_save",
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
                content: "The demo sequences, each card with its cadence",
                trigger: ".o_kanban_record:contains(Cold Outbound) .o_sales_sequence_cadence .fa-phone",
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
                trigger: ".o_field_widget[name=step_ids] .o_sales_sequence_timeline_add_end",
                run: "click",
            },
            ...fillStep({
                type: "email",
                subject: "Quick question, {{ first_name }}",
                body: "Hi {{ first_name | default('there') }}, would a short call next week make sense?",
            }),
            {
                content: "The step is on the timeline, the dialog is ready for the next one",
                trigger: `${STEP}:contains(Quick question, ‹first_name›)`,
            },
            {
                trigger: ".modal .o_field_widget[name=step_type] input[data-value=email]:checked",
            },
            ...fillStep({ type: "linkedin", delay: 1, summary: "Connect on LinkedIn" }),
            {
                trigger: `${STEP}:contains(Connect on LinkedIn)`,
            },
            {
                trigger: ".modal .o_field_widget[name=step_type] input[data-value=email]:checked",
            },
            ...fillStep({ type: "call", delay: 2, summary: "Call {{ full_name }}", next: "close" }),
            {
                content: "Three steps, day by day",
                trigger: `${STEP}:nth-child(3):contains(Call ‹full_name›)`,
            },
            {
                trigger: "body:not(:has(.modal))",
            },
            {
                trigger: `${STEP}:nth-child(1) .o_sales_sequence_step_icon .fa-envelope`,
            },
            {
                trigger: `${STEP}:nth-child(2) .o_sales_sequence_timeline_day:contains(Day 2)`,
            },
            {
                trigger: `${STEP}:nth-child(3) .o_sales_sequence_timeline_day:contains(Day 4)`,
            },
            {
                content: "Rename the LinkedIn step in place",
                trigger: `${STEP}:nth-child(2) .o_sales_sequence_timeline_title`,
                run: "click",
            },
            {
                trigger: `${STEP}:nth-child(2) .o_sales_sequence_timeline_title_input`,
                run: "edit Connect with {{ first_name }} on LinkedIn && press Enter",
            },
            {
                trigger: `${STEP}:nth-child(2) .o_sales_sequence_timeline_title:contains(Connect with ‹first_name› on LinkedIn)`,
            },
            {
                content: "One more business day before the call, in place",
                trigger: `${STEP}:nth-child(3) .o_sales_sequence_timeline_delay_text:contains(2 business days later)`,
                run: "click",
            },
            {
                trigger: `${STEP}:nth-child(3) .o_sales_sequence_timeline_delay_input`,
                run: "edit 3 && press Enter",
            },
            {
                trigger: `${STEP}:nth-child(3) .o_sales_sequence_timeline_day:contains(Day 5)`,
            },
            {
                content: "Add a task between the email and the LinkedIn touch",
                trigger: `${STEP}:nth-child(1) .o_sales_sequence_timeline_add button`,
                run: "click",
            },
            ...fillStep({ type: "task", summary: "Research {{ company }} before the next touch", next: "close" }),
            {
                content: "The task is second",
                trigger: `${STEP}:nth-child(2):contains(Research ‹company› before the next touch)`,
            },
            {
                trigger: `${STEP}:nth-child(4):contains(Call ‹full_name›)`,
            },
            {
                content: "Drag the call before the LinkedIn touch",
                trigger: `${STEP}:nth-child(4) .o_sales_sequence_timeline_handle`,
                run: `drag_and_drop ${STEP}:nth-child(3)`,
            },
            {
                trigger: `${STEP}:nth-child(3):contains(Call ‹full_name›)`,
            },
            {
                trigger: `${STEP}:nth-child(4):contains(Connect with ‹first_name› on LinkedIn)`,
            },
            {
                content: "Preview the email before anything is saved",
                trigger: `${STEP}:nth-child(1) .o_sales_sequence_timeline_open`,
                run: "click",
            },
            {
                trigger: ".modal .o_notebook .nav-link:contains(Preview)",
                run: "click",
            },
            {
                content: "Rendered for a real contact",
                trigger: ".modal .o_field_widget[name=preview_subject]:contains(Quick question, ):not(:contains({{))",
            },
            {
                trigger: ".modal .o_field_widget[name=preview_body]:contains(would a short call next week make sense):not(:contains({{))",
            },
            {
                content: "Bring the preview into view",
                trigger: ".modal .o_notebook:has(.o_field_widget[name=preview_body])",
                run() {
                    this.anchor.scrollIntoView({ block: "start" });
                },
            },
            screenshot("email_preview", ".modal .o_field_widget[name=preview_body]"),
            {
                content: "Close the step",
                trigger: ".modal .modal-footer .o_form_button_save",
                run: "click",
            },
            {
                trigger: "body:not(:has(.modal))",
            },
            {
                content: "Exit rules: no condition unless asked for",
                trigger: ".o_form_view .o_notebook .nav-link:contains(Exit Rules)",
                run: "click",
            },
            {
                trigger: ".o_form_view .o_field_widget[name=exit_on_condition] input:not(:checked)",
            },
            {
                trigger: ".o_form_view:not(:has(.o_field_widget[name=exit_domain]))",
            },
            screenshot("exit_rules"),
            {
                trigger: ".o_form_view .o_notebook .nav-link:contains(Steps)",
                run: "click",
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
                content: "Saved, the email can be sent to me as a test",
                trigger: `${STEP}:nth-child(1) .o_sales_sequence_timeline_open`,
                run: "click",
            },
            {
                trigger: ".modal .o_notebook .nav-link:contains(Preview)",
                run: "click",
            },
            {
                trigger: ".modal button[name=action_send_test]",
                run: "click",
            },
            {
                trigger: ".o_notification:contains(Test email sent to morgan.manager@example.com)",
            },
            {
                trigger: ".modal .modal-footer .o_form_button_save",
                run: "click",
            },
            {
                trigger: "body:not(:has(.modal))",
            },
            {
                content: "Open the saved sequence again from the sequences",
                trigger: ".o_breadcrumb .breadcrumb-item a",
                run: "click",
            },
            {
                trigger: `.o_kanban_record:contains(${SEQUENCE_NAME})`,
                run: "click",
            },
            {
                content: "Add a last step to the saved sequence",
                trigger: ".o_field_widget[name=step_ids] .o_sales_sequence_timeline_add_end",
                run: "click",
            },
            ...fillStep({ type: "task", summary: "Send a break-up note", next: "close" }),
            {
                content: "It comes last, not first (the saved steps were loaded again meanwhile)",
                trigger: `${STEP}:nth-child(5):contains(Send a break-up note)`,
            },
            {
                trigger: `${STEP}:nth-child(1):contains(Quick question)`,
            },
            {
                trigger: ".o_form_button_save",
                run: "click",
            },
            {
                trigger: ".o_form_saved",
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
            {
                content: "Compare two sequences",
                trigger: ".o_main_navbar [data-menu-xmlid='sales_sequence.menu_sales_sequence_root']",
                run: "click",
            },
            {
                trigger: ".dropdown-item[data-menu-xmlid='sales_sequence.menu_sales_sequence']",
                run: "click",
            },
            {
                trigger: ".o_control_panel .o_switch_view.o_list",
                run: "click",
            },
            {
                trigger: ".o_list_view .o_data_row:contains(Cold Outbound) .o_list_record_selector input",
                run: "click",
            },
            {
                trigger: ".o_list_view .o_data_row:contains(Re-engagement — Lost Deals) .o_list_record_selector input",
                run: "click",
            },
            {
                trigger: ".o_control_panel .o_cp_action_menus button:has(.fa-cog)",
                run: "click",
            },
            {
                trigger: ".o-dropdown--menu .o-dropdown-item:contains(Compare)",
                run: "click",
            },
            {
                content: "A chart of the rates, one bar per sequence",
                trigger: ".o_graph_view .o_graph_canvas_container canvas",
            },
            {
                trigger: ".o_control_panel .o_facet_value:contains(Rates)",
            },
            screenshot("compare_chart"),
        ]),
});
