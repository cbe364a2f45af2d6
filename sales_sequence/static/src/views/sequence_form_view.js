/**
 * The sequence form opens read-only for whoever may not change the sequence
 * (``can_edit``, e.g. a rep on a team sequence they do not own): what they
 * cannot save, they are not invited to edit.
 */
import { registry } from "@web/core/registry";
import { FormController } from "@web/views/form/form_controller";
import { formView } from "@web/views/form/form_view";

export class SalesSequenceFormController extends FormController {
    get modelParams() {
        const params = super.modelParams;
        const onRootLoaded = params.hooks.onRootLoaded;
        params.hooks.onRootLoaded = async (root) => {
            if (root.resId && root.data.can_edit === false && root.isInEdition) {
                root._switchMode("readonly");
            }
            return onRootLoaded?.(root);
        };
        return params;
    }
}

registry.category("views").add("sales_sequence_form", {
    ...formView,
    Controller: SalesSequenceFormController,
});
