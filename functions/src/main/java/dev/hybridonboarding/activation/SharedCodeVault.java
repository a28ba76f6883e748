package dev.hybridonboarding.activation;

/**
 * Keeps a shared activation's code encrypted at rest. Every machine of a shared fleet receives the same
 * code, so unlike single-use codes it cannot be bound to one token's secret.
 */
public interface SharedCodeVault {

    /**
     * @throws DependencyUnavailableException when the key service throttles or fails
     */
    byte[] seal(ActivationCode code, String fleet, String activationId);

    /**
     * @throws DependencyUnavailableException when the key service throttles or fails
     */
    ActivationCode open(byte[] sealed, String fleet, String activationId);
}
