package dev.hybridonboarding.rotation;

import dev.hybridonboarding.fleet.Fleet;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The port to what the schedule reads and keeps in the table.
 *
 * @see dev.hybridonboarding.support.DependencyUnavailableException thrown by every method when the table throttles or fails
 */
public interface RotationStore {

    List<Fleet> storedFleets();

    /** The fleet's activations that are not yet deleted, oldest first. */
    List<ActivationRecord> liveActivations(String fleet);

    /** Keeps the record for audits and for telling our registrations from others', but not as live any more. */
    void markDeleted(String activationId, Instant at);

    /** Forgets what retries of machines that got this activation would have been handed; no retry can use it any more. */
    void dropRetryRecords(ActivationRecord activation);

    void saveRun(RotationRun run);

    Optional<RotationRun> lastRun();
}
