/**
 * The cadence of a sequence on its card: one channel icon per step, in order,
 * with the day it fires (the step's name in the tooltip).
 */
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { standardFieldProps } from "@web/views/fields/standard_field_props";
import { Component } from "@odoo/owl";

export class CadenceField extends Component {
    static template = "sales_sequence.CadenceField";
    static props = { ...standardFieldProps };

    get steps() {
        return this.props.record.data[this.props.name] || [];
    }

    get lastDay() {
        return this.steps.length ? this.steps.at(-1).day : 0;
    }
}

export const cadenceField = {
    component: CadenceField,
    displayName: _t("Sequence cadence"),
    supportedTypes: ["json"],
};

registry.category("fields").add("sales_sequence_cadence", cadenceField);
