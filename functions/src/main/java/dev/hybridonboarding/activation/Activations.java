package dev.hybridonboarding.activation;

/** The port to Systems Manager's hybrid activations. */
public interface Activations {

    /**
     * @throws ActivationServiceUnavailableException when SSM throttles or fails; nothing was created
     * @throws ActivationRejectedException when SSM refuses the request as configured (role, limits)
     */
    IssuedActivation create(ActivationSpec spec);

    /** Deletes an activation; one that no longer exists counts as deleted. */
    void delete(String activationId);
}
