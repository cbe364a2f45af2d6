/**
 * My Sequence Tasks: a kanban grouped by activity type. Odoo shows no help
 * for a kanban grouped by a many2one that has no group at all (a blank page):
 * with no task, the action's help says there is nothing left for today.
 */
import { registry } from "@web/core/registry";
import { KanbanRenderer } from "@web/views/kanban/kanban_renderer";
import { kanbanView } from "@web/views/kanban/kanban_view";

export class SalesSequenceTasksKanbanRenderer extends KanbanRenderer {
    get showNoContentHelper() {
        const { isGrouped, groups, model } = this.props.list;
        if (isGrouped && groups.length === 0 && !model.useSampleModel) {
            return true;
        }
        return super.showNoContentHelper;
    }
}

registry.category("views").add("sales_sequence_tasks_kanban", {
    ...kanbanView,
    Renderer: SalesSequenceTasksKanbanRenderer,
});
