/**
 * "Mark Done" on a sequence call (chatter, activity popovers) asks how the
 * call went: each outcome logs it with the feedback as note
 * (``mail.activity.action_sales_sequence_log_call``), which marks the call
 * done; a wrong number or a prospect not interested ends the sequence.
 */
import { ActivityMarkAsDone } from "@mail/core/web/activity_markasdone_popover";
import { _t } from "@web/core/l10n/translation";
import { patch } from "@web/core/utils/patch";

export const CALL_OUTCOMES = [
    ["connected", _t("Connected"), "btn-success"],
    ["voicemail", _t("Left a voicemail"), "btn-secondary"],
    ["no_answer", _t("No answer"), "btn-secondary"],
    ["wrong_number", _t("Wrong number"), "btn-outline-danger"],
    ["not_interested", _t("Not interested"), "btn-outline-danger"],
];

patch(ActivityMarkAsDone.prototype, {
    get salesSequenceCallOutcomes() {
        return this.props.activity.sales_sequence_logs_call ? CALL_OUTCOMES : [];
    },

    async onClickSalesSequenceOutcome(outcome) {
        const activity = this.props.activity;
        const thread = this.env.services["mail.store"].Thread.insert({
            model: activity.res_model,
            id: activity.res_id,
        });
        await this.env.services.orm.call(
            "mail.activity",
            "action_sales_sequence_log_call",
            [[activity.id], outcome],
            { note: activity.feedback || false }
        );
        activity.store.activityBroadcastChannel?.postMessage({
            type: "RELOAD_CHATTER",
            payload: { id: activity.res_id, model: activity.res_model },
        });
        this.props.close?.();
        this.props.onActivityChanged(thread);
        await thread.fetchNewMessages();
    },
});
