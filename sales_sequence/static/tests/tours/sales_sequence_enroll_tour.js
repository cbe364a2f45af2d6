/**
 * A sales rep opens one of their leads, enrolls it in a sequence from the
 * "Enroll in Sequence" button, reads the summary, and finds the enrollment on
 * the lead (smart button). Run by tests/test_ui.py (test_02_rep_enrolls_lead).
 */
import { registry } from "@web/core/registry";
import { patient, screenshot } from "./helpers";

const LEAD_NAME = "Northwind: 40 seats";
const SEQUENCE_NAME = "Demo Request Follow-up";

registry.category("web_tour.tours").add("sales_sequence_enroll_tour", {
    url: "/odoo/crm",
    steps: () =>
        patient([
            {
                content: "Open the lead from the pipeline",
                trigger: `.o_kanban_record:contains(${LEAD_NAME})`,
                run: "click",
            },
            {
                trigger: `.o_form_view .o_field_widget[name=name]:contains(${LEAD_NAME}), .o_form_view .o_field_widget[name=name] textarea:value(${LEAD_NAME})`,
            },
            {
                content: "No sequence yet: no smart button",
                trigger: ".o_form_view:not(:has(button[name=action_view_sequence_enrollments]))",
            },
            {
                content: "Enroll in Sequence",
                trigger: ".o_form_view .o_statusbar_buttons button[name=action_enroll_in_sequence]",
                run: "click",
            },
            {
                content: "Pick the sequence",
                trigger: ".modal .o_field_widget[name=sequence_id] input",
                run: `edit ${SEQUENCE_NAME}`,
            },
            {
                trigger: `.modal .o-autocomplete--dropdown-item:contains(${SEQUENCE_NAME})`,
                run: "click",
            },
            {
                trigger: `.modal .o_field_widget[name=sequence_id] input:value(${SEQUENCE_NAME})`,
            },
            {
                trigger: `.modal .o_field_widget[name=lead_ids] .o_tag:contains(${LEAD_NAME})`,
            },
            screenshot("enroll_dialog"),
            {
                content: "Confirm",
                trigger: ".modal .modal-footer button[name=action_enroll]",
                run: "click",
            },
            {
                content: "The summary says it worked",
                trigger: ".modal .alert-success:contains(enrolled in)",
            },
            {
                trigger: ".modal .alert-success .o_field_widget[name=enrolled_count]:contains(1)",
            },
            screenshot("enroll_summary"),
            {
                trigger: ".modal .modal-footer button:contains(Close)",
                run: "click",
            },
            {
                content: "The lead shows its enrollment",
                trigger: ".o_form_view:not(:has(.modal)) button[name=action_view_sequence_enrollments]:contains(1)",
            },
            screenshot("lead_with_enrollment"),
            {
                trigger: ".o_form_view button[name=action_view_sequence_enrollments]",
                run: "click",
            },
            {
                content: "The enrollment runs",
                trigger: `.o_kanban_view .o_kanban_group:has(.o_column_title:contains(Active)) .o_kanban_record:contains(${SEQUENCE_NAME})`,
                run: "click",
            },
            {
                trigger: `.o_form_view .o_field_widget[name=sequence_id]:contains(${SEQUENCE_NAME})`,
            },
            {
                trigger: ".o_form_view .o_statusbar_status button.o_arrow_button_current[data-value=active]",
            },
            screenshot("enrollment_form"),
        ]),
});
