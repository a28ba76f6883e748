package dev.hybridonboarding.activation;

import java.util.Optional;

/** The port to Systems Manager's hybrid activations. */
public interface Activations {

    /**
     * @throws DependencyUnavailableException when SSM throttles or fails; nothing was created
     * @throws ActivationRejectedException when SSM refuses the request as configured (role, limits)
     */
    IssuedActivation create(ActivationSpec spec);

    /** Deletes an activation; one that no longer exists counts as deleted. */
    void delete(String activationId);

    /**
     * The activation's state in SSM, or empty when it no longer exists.
     *
     * @throws DependencyUnavailableException when SSM throttles or fails
     */
    Optional<ActivationStatus> status(String activationId);
}
