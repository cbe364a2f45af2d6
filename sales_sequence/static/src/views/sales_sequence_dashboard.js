/**
 * Summary cards above the sequences list and kanban: active sequences,
 * prospects in progress, reply rate, meetings booked this month and won
 * revenue, for the sequences of the current search (reloaded when it changes);
 * for managers, bounces and spam complaints of the last 30 days, opening the
 * sending health report.
 */
import { registry } from "@web/core/registry";
import { formatFloat } from "@web/core/utils/numbers";
import { useService } from "@web/core/utils/hooks";
import { KanbanRenderer } from "@web/views/kanban/kanban_renderer";
import { kanbanView } from "@web/views/kanban/kanban_view";
import { ListRenderer } from "@web/views/list/list_renderer";
import { listView } from "@web/views/list/list_view";
import { Component, onWillStart, onWillUpdateProps, useState } from "@odoo/owl";

export class SalesSequenceDashboard extends Component {
    static template = "sales_sequence.Dashboard";
    static props = { list: { type: Object } };

    setup() {
        this.orm = useService("orm");
        this.action = useService("action");
        this.state = useState({ data: null });
        onWillStart(() => this.load(this.props.list));
        onWillUpdateProps((nextProps) => {
            if (nextProps.list !== this.props.list) {
                return this.load(nextProps.list);
            }
        });
    }

    async load(list) {
        this.state.data = await this.orm.call("sales.sequence", "get_dashboard_data", [], {
            domain: list.domain,
        });
    }

    get replyRate() {
        return formatFloat(this.state.data.reply_rate, { digits: [16, 1] });
    }

    /** The sending health of the sequences of the current search, per sender. */
    async openSendingHealth() {
        const action = await this.orm.call("sales.sequence", "action_open_sending_health", [], {
            domain: this.props.list.domain,
        });
        return this.action.doAction(action);
    }

    /** Show only the sequences of the card (replaces the current filters). */
    applyFilter(filterName) {
        const searchModel = this.env.searchModel;
        const items = searchModel.getSearchItems((item) => item.name === filterName);
        searchModel.query = [];
        for (const item of items) {
            searchModel.toggleSearchItem(item.id);
        }
    }
}

export class SalesSequenceDashboardListRenderer extends ListRenderer {
    static template = "sales_sequence.DashboardListRenderer";
    static components = { ...ListRenderer.components, SalesSequenceDashboard };
}

export class SalesSequenceDashboardKanbanRenderer extends KanbanRenderer {
    static template = "sales_sequence.DashboardKanbanRenderer";
    static components = { ...KanbanRenderer.components, SalesSequenceDashboard };
}

registry.category("views").add("sales_sequence_dashboard_list", {
    ...listView,
    Renderer: SalesSequenceDashboardListRenderer,
});
registry.category("views").add("sales_sequence_dashboard_kanban", {
    ...kanbanView,
    Renderer: SalesSequenceDashboardKanbanRenderer,
});
