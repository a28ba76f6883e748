package dev.hybridonboarding.activation;

import dev.hybridonboarding.log.StructuredLog;

/** Deleting an activation that no machine can have received, as part of undoing a step that did not go through. */
public final class UnusedActivations {

    private final Activations activations;
    private final StructuredLog log;

    public UnusedActivations(Activations activations, StructuredLog log) {
        this.activations = activations;
        this.log = log;
    }

    /**
     * A failure is only logged: the activation carries this stack's tags, so the scheduled clean-up finds it, and
     * it expires on its own.
     */
    public void delete(String activationId, String why) {
        try {
            activations.delete(activationId);
            log.info("activation.deleted-unused", "activationId", activationId, "why", why);
        } catch (RuntimeException failed) {
            log.error(
                    "activation.delete-failed",
                    "activationId",
                    activationId,
                    "why",
                    why,
                    "cause",
                    failed.getClass().getSimpleName());
        }
    }
}
