package dev.hybridonboarding.rotation;

import dev.hybridonboarding.activation.ActivationSpec;
import dev.hybridonboarding.activation.ActivationStatus;
import dev.hybridonboarding.activation.Activations;
import dev.hybridonboarding.activation.IssuedActivation;
import dev.hybridonboarding.support.Pacer;
import java.util.Optional;

/** SSM's activations, each call starting no sooner than the pacer allows: a run of thousands of deletions is spread out. */
final class PacedActivations implements Activations {

    private final Activations activations;
    private final Pacer pacer;

    PacedActivations(Activations activations, Pacer pacer) {
        this.activations = activations;
        this.pacer = pacer;
    }

    @Override
    public IssuedActivation create(ActivationSpec spec) {
        pacer.beforeCall();
        return activations.create(spec);
    }

    @Override
    public void delete(String activationId) {
        pacer.beforeCall();
        activations.delete(activationId);
    }

    @Override
    public Optional<ActivationStatus> status(String activationId) {
        pacer.beforeCall();
        return activations.status(activationId);
    }
}
