package dev.hybridonboarding.rotation;

import java.time.Instant;
import java.util.Optional;

/**
 * The port to where each shared fleet's current activation is kept, with the lease that lets one caller at a time
 * create the next one.
 *
 * @see dev.hybridonboarding.support.DependencyUnavailableException thrown by every method when the store throttles,
 *      fails or does not answer in time
 */
public interface SharedActivationStore {

    /** A consistent read of the fleet's current shared activation. */
    Optional<SharedActivation> current(String fleet);

    /**
     * Takes the right to create the fleet's next shared activation until {@code until}.
     *
     * @param owner who asks; a retried request whose first attempt got the lease gets it again
     * @return false when someone else holds it
     */
    boolean acquireLease(String fleet, String owner, Instant now, Instant until);

    /** Gives the lease back early, if {@code owner} still holds it. */
    void releaseLease(String fleet, String owner);

    /**
     * Makes {@code next} the fleet's current activation if the current one is still {@code replaced} (or there is
     * none), records it and gives the lease back, in one transaction.
     *
     * @return false when the current one is no longer {@code replaced}; then nothing was written
     */
    boolean install(String fleet, Optional<String> replaced, SharedActivation next, ActivationRecord record);

    /** Whether an activation is recorded: an installation whose answer was lost went through after all. */
    boolean activationRecorded(String activationId);
}
