/**
 * A manager reads the sequences' summary cards and a sequence's funnel, then
 * works their queue of sequence tasks: a call, marked done.
 * Run by tests/test_analytics.py (TestAnalyticsUi).
 */
import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("sales_sequence_analytics_tour", {
    url: "/odoo/crm",
    steps: () => [
        {
            content: "Open the sequences",
            trigger: ".o_main_navbar [data-menu-xmlid='sales_sequence.menu_sales_sequence_root']",
            run: "click",
        },
        {
            trigger: ".dropdown-item[data-menu-xmlid='sales_sequence.menu_sales_sequence']",
            run: "click",
        },
        {
            content: "Summary cards above the kanban",
            trigger: ".o_kanban_view .o_sales_sequence_dashboard:contains(Meetings booked this month)",
        },
        {
            trigger: ".o_sales_sequence_dashboard .o_sales_sequence_dashboard_card:contains(Reply rate)",
        },
        {
            content: "The list has them too",
            trigger: ".o_control_panel .o_switch_view.o_list",
            run: "click",
        },
        {
            trigger: ".o_list_view .o_sales_sequence_dashboard:contains(Active sequences)",
        },
        {
            content: "Open the sequence",
            trigger: ".o_list_view .o_data_row .o_data_cell:contains(Tour Analytics)",
            run: "click",
        },
        {
            content: "Its Analytics tab",
            trigger: ".o_form_view .o_notebook .nav-link:contains(Analytics)",
            run: "click",
        },
        {
            content: "The funnel, one row per step",
            trigger: ".o_field_widget[name=funnel_step_ids] .o_data_row:nth-child(2):contains(Call)",
        },
        {
            trigger: ".o_field_widget[name=funnel_step_ids] .o_data_row:nth-child(1) [name=replied_count]:contains(1)",
        },
        {
            content: "Open the queue of sequence tasks",
            trigger: ".o_main_navbar [data-menu-xmlid='sales_sequence.menu_sales_sequence_root']",
            run: "click",
        },
        {
            trigger: ".dropdown-item[data-menu-xmlid='sales_sequence.menu_sales_sequence_my_tasks']",
            run: "click",
        },
        {
            content: "Today's call, with the contact and the script",
            trigger: ".o_kanban_record:contains(Call Nora):contains(Nora Northwind):contains(Ask about the budget)",
        },
        {
            content: "Done",
            trigger: ".o_kanban_record:contains(Call Nora) button[name=action_done]",
            run: "click",
        },
        {
            content: "The call left the queue",
            trigger: ".o_kanban_view:not(:has(.o_kanban_record:contains(Call Nora)))",
        },
    ],
});
