/**
 * A sales manager opens the suppression list (CRM › Configuration ›
 * Suppressions): sees why each address is there, adds one by hand, filters
 * the spam complaints and removes an address with a reason; opens the
 * sending health from the sequences' summary cards; then finds the
 * sending limits, the warm-up defaults and the complaint threshold in CRM ›
 * Settings and changes the warm-up's first day.
 * Run by tests/test_deliverability_ui.py.
 */
import { registry } from "@web/core/registry";
import { patient } from "./helpers";

registry.category("web_tour.tours").add("sales_sequence_deliverability_tour", {
    url: "/odoo/crm",
    steps: () =>
        patient([
            {
                content: "Open CRM's configuration",
                trigger: ".o_main_navbar [data-menu-xmlid='crm.crm_menu_config']",
                run: "click",
            },
            {
                trigger: ".dropdown-item[data-menu-xmlid='sales_sequence.menu_sales_sequence_suppression']",
                run: "click",
            },
            {
                content: "Each address says why it is suppressed",
                trigger:
                    ".o_list_view .o_data_row:contains(complainer@tour.example.com) [name=suppression_reason]:contains(Spam complaint)",
            },
            {
                trigger:
                    ".o_list_view .o_data_row:contains(left@tour.example.com) [name=suppression_sequence_id]:contains(Tour Outbound)",
            },
            {
                content: "Add an address by hand",
                trigger: ".o_control_panel .o_list_button_add",
                run: "click",
            },
            {
                trigger: ".o_form_view .o_field_widget[name=email] input",
                run: "edit asked.by.phone@tour.example.com",
            },
            {
                content: "Why: added by hand (the default)",
                trigger: '.o_form_view .o_field_widget[name=suppression_reason] input:value("Added by hand")',
            },
            {
                trigger: ".o_form_view .o_form_button_save",
                run: "click",
            },
            {
                trigger: ".o_form_view .o_form_button_save:not(:visible)",
            },
            {
                content: "Back to the list",
                trigger: ".o_breadcrumb .o_back_button",
                run: "click",
            },
            {
                trigger: ".o_list_view .o_data_row:contains(asked.by.phone@tour.example.com)",
            },
            {
                content: "Filter by reason: the spam complaints",
                trigger: ".o_control_panel .o_searchview_dropdown_toggler",
                run: "click",
            },
            {
                trigger: ".o_filter_menu .dropdown-item:contains(Spam Complaints)",
                run: "click",
            },
            {
                trigger: ".o_list_view:not(:has(.o_data_row:contains(left@tour.example.com)))",
            },
            {
                content: "Open the complaint",
                trigger: ".o_list_view .o_data_row .o_data_cell:contains(complainer@tour.example.com)",
                run: "click",
            },
            {
                content: "Remove it from the list, with a reason",
                trigger: ".o_form_view .o_statusbar_buttons button[name=mail_action_blacklist_remove]",
                run: "click",
            },
            {
                trigger: ".modal .o_field_widget[name=reason] input",
                run: "edit Complaint withdrawn by phone",
            },
            {
                trigger: ".modal button[name=action_unblacklist_apply]",
                run: "click",
            },
            {
                content: "Removed: it can be suppressed again",
                trigger: ".o_form_view .o_statusbar_buttons button[name=action_add]",
            },
            {
                content: "The sending health, from the sequences' summary cards",
                trigger: ".o_main_navbar [data-menu-xmlid='sales_sequence.menu_sales_sequence_root']",
                run: "click",
            },
            {
                trigger: ".dropdown-item[data-menu-xmlid='sales_sequence.menu_sales_sequence']",
                run: "click",
            },
            {
                trigger: ".o_sales_sequence_dashboard .o_sales_sequence_sending_health_card",
                run: "click",
            },
            {
                content: "Per sender, then per sequence",
                trigger: ".o_list_view .o_group_header:contains(Dana Deliver)",
                run: "click",
            },
            {
                trigger: ".o_list_view .o_data_row:contains(Tour Outbound) [name=running_count]:contains(1)",
            },
            {
                content: "Now the settings",
                trigger: ".o_main_navbar [data-menu-xmlid='crm.crm_menu_config']",
                run: "click",
            },
            {
                trigger: ".dropdown-item[data-menu-xmlid='crm.crm_config_settings_menu']",
                run: "click",
            },
            {
                content: "Sending limits, warm-up defaults and the bounce guard with its complaint rate",
                trigger: "#sales_sequence_caps .o_field_widget[name=sales_sequence_hourly_cap] input",
            },
            {
                trigger: "#sales_sequence_bounce_guard .o_field_widget[name=sales_sequence_complaint_rate] input",
            },
            {
                trigger: "#sales_sequence_sender_limits .o_field_widget[name=sales_sequence_warmup_start] input",
                run: "edit 15",
            },
            {
                content: "Save: the settings reload the page",
                trigger: ".o_control_panel .o_form_button_save",
                run: "click",
                expectUnloadPage: true,
            },
            {
                trigger: "#sales_sequence_sender_limits .o_field_widget[name=sales_sequence_warmup_start] input",
            },
        ]),
});
