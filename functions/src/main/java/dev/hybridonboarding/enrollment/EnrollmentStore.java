package dev.hybridonboarding.enrollment;

import java.time.Instant;
import java.util.Optional;

/**
 * The port to the table that holds tokens, enrollments, retry records and failure counters.
 *
 * @see dev.hybridonboarding.support.DependencyUnavailableException thrown by every method when the table throttles,
 *      fails or does not answer in time
 */
public interface EnrollmentStore {

    /** The key of everything {@link #load} reads. */
    record SnapshotKey(
            String fleet, String tokenId, Optional<String> machineId, String failureSource, Instant failureWindow) {}

    /** Reads token, fleet, shared activation, retry record and failure counters in one consistent round trip. */
    EnrollmentSnapshot load(SnapshotKey key);

    /** Counts a failed attempt against its source and, when known, the token id. */
    void recordFailure(String failureSource, Optional<String> tokenId, Instant failureWindow, Instant expiresAt);

    /** Applies all of the commit, or nothing and says which condition no longer held. */
    CommitResult commit(EnrollmentCommit commit);

    /** Whether an enrollment is recorded: a commit whose answer was lost went through after all. */
    boolean enrollmentRecorded(String enrollmentId);
}
