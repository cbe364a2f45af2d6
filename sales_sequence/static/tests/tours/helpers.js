/**
 * Shared by the sales_sequence tours.
 */

// A step waits this long for its trigger (Odoo's default is 10 s): the
// machines that run the suite are often shared and slow.
const STEP_TIMEOUT_MS = 30000;

/** The steps, each with a patient timeout unless it sets its own. */
export function patient(steps) {
    return steps.map((step) => ({ timeout: STEP_TIMEOUT_MS, ...step }));
}

/**
 * A tour step that asks the test runner (tests/test_ui.py) for a screenshot of
 * the page as it is now, then waits until the runner says it has it (the body
 * gets a data-sales-sequence-screenshot attribute) so that the next step does not
 * change the page under the camera. Run outside test_ui.py (no runner
 * listening), the step goes on after a few seconds.
 */
const SIGNAL = "sales_sequence:screenshot:";
const MAX_WAIT_MS = 15000;

export function screenshot(name, trigger = "body") {
    return {
        content: `Screenshot: ${name}`,
        trigger,
        async run() {
            // let RPCs finish, transitions and lazy images settle
            const idleSince = Date.now();
            while (
                document.querySelector(".o_loading_indicator, .o_blockUI") &&
                Date.now() - idleSince < 5000
            ) {
                await new Promise((resolve) => setTimeout(resolve, 100));
            }
            await new Promise((resolve) => setTimeout(resolve, 300));
            console.log(SIGNAL + name);
            const start = Date.now();
            while (
                document.body.dataset.salesSequenceScreenshot !== name &&
                Date.now() - start < MAX_WAIT_MS
            ) {
                await new Promise((resolve) => setTimeout(resolve, 100));
            }
        },
    };
}
