/**
 * The icon of a sequence step in a list (the funnel of the Analytics tab): a
 * coloured circle with the step type's icon (see sales_sequence.scss).
 */
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { standardFieldProps } from "@web/views/fields/standard_field_props";
import { Component } from "@odoo/owl";

export class StepIconField extends Component {
    static template = "sales_sequence.StepIconField";
    static props = { ...standardFieldProps };

    get stepType() {
        return this.props.record.data.step_type || "";
    }

    get iconClass() {
        return this.props.record.data[this.props.name] || "fa-circle";
    }

    get title() {
        const selection = this.props.record.fields.step_type?.selection || [];
        const label = selection.find(([value]) => value === this.stepType);
        return label ? label[1] : "";
    }
}

export const stepIconField = {
    component: StepIconField,
    displayName: _t("Sequence step icon"),
    supportedTypes: ["char"],
    fieldDependencies: [{ name: "step_type", type: "selection" }],
    listViewWidth: 56,
};

registry.category("fields").add("sales_sequence_step_icon", stepIconField);
