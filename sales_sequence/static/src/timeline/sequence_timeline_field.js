/**
 * The Steps tab of a sequence, read as a cadence: a vertical timeline by day
 * (Day 1 · email, Day 3 · call, ...), each step with its channel icon and its
 * title rendered as plain text. Steps are dragged to reorder, "Add a step
 * here" inserts one between any two, and the title and the delay in business
 * days are edited in place; the step dialog (the pencil) keeps the
 * details. Everything goes through the one2many's records, saved with the
 * sequence like any other change of the form.
 */
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { useSortable } from "@web/core/utils/sortable_owl";
import { useOpenX2ManyRecord, useX2ManyCrud } from "@web/views/fields/relational_utils";
import { X2ManyField, x2ManyField } from "@web/views/fields/x2many/x2many_field";
import { useEffect, useRef, useState } from "@odoo/owl";

/** What identifies a step across reloads of the list: its id, or its virtual id while new. */
function stepKey(record) {
    return record.resId || record._virtualId;
}

export class SalesSequenceTimelineField extends X2ManyField {
    static template = "sales_sequence.TimelineField";

    setup() {
        super.setup();
        this.timelineRef = useRef("timeline");
        this.state = useState({ editingTitle: null, editingDelay: null });
        useEffect(
            (title, delay) => {
                const selector = title
                    ? ".o_sales_sequence_timeline_title_input"
                    : delay && ".o_sales_sequence_timeline_delay_input";
                if (selector) {
                    const input = this.timelineRef.el?.querySelector(selector);
                    input?.focus();
                    input?.select();
                }
            },
            () => [this.state.editingTitle, this.state.editingDelay]
        );
        // the step created by "Add a step here" goes after this step, known by
        // stepKey() (undefined: at the end; null: first)
        this.insertAfter = undefined;
        const { saveRecord, updateRecord } = useX2ManyCrud(() => this.list, false);
        const openRecord = useOpenX2ManyRecord({
            resModel: this.list.resModel,
            activeField: this.activeField,
            activeActions: this.activeActions,
            getList: () => this.list,
            saveRecord: async (record) => {
                await saveRecord(record);
                await this.placeNewStep(record);
            },
            updateRecord,
            isMany2Many: false,
        });
        this._openRecord = (params) =>
            openRecord({
                ...params,
                controls: this.controls,
                onClose: () => {
                    this.insertAfter = undefined;
                },
            });
        useSortable({
            enable: () => !this.isReadonly,
            ref: this.timelineRef,
            elements: ".o_sales_sequence_timeline_step",
            handle: ".o_sales_sequence_timeline_handle",
            cursor: "grabbing",
            onDrop: ({ element, previous }) =>
                this.list.resequence(element.dataset.id, previous?.dataset.id || null),
        });
    }

    get isReadonly() {
        return this.props.readonly || !this.activeActions.write;
    }

    get canAdd() {
        return !this.isReadonly && this.activeActions.create;
    }

    get stepTypeLabels() {
        return Object.fromEntries(this.list.fields.step_type?.selection || []);
    }

    /** One row per step, in order, flagged when it opens a new day. */
    get rows() {
        let previousDay = null;
        return this.list.records.map((record) => {
            const day = record.data.day_number || 1;
            const row = { record, day, newDay: day !== previousDay };
            previousDay = day;
            return row;
        });
    }

    /** The field holding the step's title: the email subject or the task summary. */
    titleField(record) {
        if (record.data.show_email && !record.data.show_activity) {
            return "subject";
        }
        return record.data.show_activity ? "activity_summary" : null;
    }

    typeLabel(record) {
        return this.stepTypeLabels[record.data.step_type] || "";
    }

    titleTooltip(record) {
        return !this.isReadonly && this.titleField(record) ? _t("Click to edit") : "";
    }

    delayTooltip() {
        return this.isReadonly ? "" : _t("Click to change the business days after the previous step");
    }

    openTooltip() {
        return this.isReadonly ? _t("Open") : _t("Edit the details");
    }

    // ------------------------------------------------------------------
    // Adding, opening, removing
    // ------------------------------------------------------------------

    addStep(afterRecord) {
        this.insertAfter = afterRecord ? stepKey(afterRecord) : null;
        const sequences = this.list.records.map((record) => record.data.sequence || 0);
        const next = sequences.length ? Math.max(...sequences) + 1 : 1;
        return this._openRecord({ context: { default_sequence: next } });
    }

    addStepAtEnd() {
        return this.addStep(this.list.records.at(-1));
    }

    /**
     * Put a step saved from the dialog where it was asked for: after
     * ``insertAfter`` (first when null, last when undefined). "Save & New"
     * goes on after the step just saved.
     */
    async placeNewStep(record) {
        const records = this.list.records;
        // the list may hold new datapoints for the same steps by now (a saved
        // sequence's steps are loaded again when the dialog opens): find the
        // step by its key; one deleted meanwhile means the end
        const target =
            this.insertAfter === null
                ? null
                : records.find((r) => this.insertAfter !== undefined && stepKey(r) === this.insertAfter) ||
                  records.at(-1);
        this.insertAfter = stepKey(record);
        if (target === record) {
            return;
        }
        const index = records.indexOf(record);
        const previous = index > 0 ? records[index - 1] : null;
        if (previous !== target) {
            await this.list.resequence(record.id, target ? target.id : null);
        }
    }

    openStep(record) {
        return this._openRecord({ record, context: this.props.context, readonly: this.isReadonly });
    }

    removeStep(record) {
        return this.list.delete(record);
    }

    // ------------------------------------------------------------------
    // Inline edition
    // ------------------------------------------------------------------

    editTitle(record) {
        if (!this.isReadonly && this.titleField(record)) {
            this.titleCancelled = false;
            this.state.editingTitle = record.id;
        }
    }

    /** Leaving the title input keeps what was typed (unless Escape was pressed). */
    async onTitleBlur(record, ev) {
        const field = this.titleField(record);
        const value = ev.target.value;
        this.state.editingTitle = null;
        if (!this.titleCancelled && field && value !== (record.data[field] || "")) {
            await record.update({ [field]: value });
        }
    }

    onTitleKeydown(ev) {
        if (ev.key === "Enter" || ev.key === "Escape") {
            ev.preventDefault();
            this.titleCancelled = ev.key === "Escape";
            ev.target.blur();
        }
    }

    editDelay(record) {
        if (!this.isReadonly) {
            this.delayCancelled = false;
            this.state.editingDelay = record.id;
        }
    }

    /** Business days are whole and never negative. */
    async onDelayBlur(record, ev) {
        const value = Math.max(0, parseInt(ev.target.value, 10) || 0);
        this.state.editingDelay = null;
        if (!this.delayCancelled && value !== record.data.delay_business_days) {
            await record.update({ delay_business_days: value });
        }
    }

    onDelayKeydown(ev) {
        if (ev.key === "Enter" || ev.key === "Escape") {
            ev.preventDefault();
            this.delayCancelled = ev.key === "Escape";
            ev.target.blur();
        }
    }
}

export const salesSequenceTimelineField = {
    ...x2ManyField,
    component: SalesSequenceTimelineField,
    displayName: _t("Sequence timeline"),
    supportedTypes: ["one2many"],
};

registry.category("fields").add("sales_sequence_timeline", salesSequenceTimelineField);
