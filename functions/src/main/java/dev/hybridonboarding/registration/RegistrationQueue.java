package dev.hybridonboarding.registration;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * The port to the registration queue, for what this product puts on it itself.
 *
 * @see dev.hybridonboarding.support.DependencyUnavailableException thrown when the queue throttles or fails
 */
public interface RegistrationQueue {

    /** Registrations the sweep found, to be handled as their events would have been. */
    void foundBySweep(List<RegistrationEvent> registrations);

    /** Has the window's digest sent after {@code delay}. */
    void digestDue(DigestKind kind, Instant windowStart, Duration delay);
}
