/**
 * A rep opens a team sequence that someone else owns: it shows read-only
 * (no inputs, no step to add, drag or delete, no Activate or Pause), and
 * its card, its form and its analytics give the same counts.
 * Run by tests/test_ui.py (test_04_rep_reads_a_team_sequence).
 */
import { registry } from "@web/core/registry";
import { patient } from "./helpers";

const SEQUENCE_NAME = "Demo Request Follow-up";

registry.category("web_tour.tours").add("sales_sequence_readonly_tour", {
    url: "/odoo/crm",
    steps: () =>
        patient([
            {
                trigger: ".o_main_navbar [data-menu-xmlid='sales_sequence.menu_sales_sequence_root']",
                run: "click",
            },
            {
                trigger: ".dropdown-item[data-menu-xmlid='sales_sequence.menu_sales_sequence']",
                run: "click",
            },
            {
                content: "The card counts the sequence's prospects",
                trigger: `.o_kanban_record:contains(${SEQUENCE_NAME}) .o_sales_sequence_card_metrics:contains(In progress: 2)`,
            },
            {
                trigger: `.o_kanban_record:contains(${SEQUENCE_NAME})`,
                run: "click",
            },
            {
                content: "Read-only: the name is text, not an input",
                trigger: `.o_form_view .o_form_readonly .o_field_widget[name=name]:contains(${SEQUENCE_NAME}):not(:has(input))`,
            },
            {
                content: "The timeline offers nothing to change",
                trigger: ".o_field_widget[name=step_ids] .o_sales_sequence_timeline_readonly:not(:has(.o_sales_sequence_timeline_add_end, .o_sales_sequence_timeline_handle, .o_sales_sequence_timeline_delete))",
            },
            {
                content: "No Pause for who cannot save; Enroll stays",
                trigger: ".o_statusbar_buttons:not(:has(button[name=action_pause])) button[name=action_open_enroll_wizard]",
            },
            {
                content: "The form counts the same",
                trigger: ".o_form_view button[name=action_view_enrollments]:contains(2 / 2)",
            },
            {
                trigger: ".o_form_view .o_notebook .nav-link:contains(Analytics)",
                run: "click",
            },
            {
                trigger: ".o_form_view .o_sales_sequence_kpis .o_sales_sequence_kpi:contains(In progress) .o_field_widget:contains(2)",
            },
        ]),
});
