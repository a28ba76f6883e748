package dev.hybridonboarding.enrollment;

import java.time.Instant;
import java.util.Optional;

/** The port to the table that holds fleets, tokens, activations and enrollments. */
public interface EnrollmentStore {

    /** The key of everything {@link #load} reads. */
    record SnapshotKey(String fleet, String tokenId, Optional<String> machineId, String sourceIp, Instant failureWindow) {
    }

    /** Reads token, fleet, shared activation, retry record and failure counters in one consistent round trip. */
    EnrollmentSnapshot load(SnapshotKey key);

    /** Counts a failed attempt against the source address and, when known, the token id. */
    void recordFailure(String sourceIp, Optional<String> tokenId, Instant failureWindow, Instant expiresAt);

    /** @throws CommitRejectedException when a condition no longer holds; then nothing was written */
    void commit(EnrollmentCommit commit);

    /**
     * Takes the right to create the fleet's next shared activation until {@code until}, so that a burst of
     * machines does not create one activation each.
     *
     * @param owner who asks; a retried request that already holds the lease gets it again
     * @return false when another request holds it
     */
    boolean acquireInstallLease(String fleet, String owner, Instant now, Instant until);

    /** Gives the lease back early, after an installation that failed. */
    void releaseInstallLease(String fleet);

    /**
     * Makes {@code next} the fleet's shared activation if the current one is still {@code replaced} (or there
     * is none), records it and gives the installation lease back, in one transaction.
     *
     * @return true if installed, false if another request installed a different one first
     */
    boolean installSharedActivation(String fleet, Optional<String> replaced, SharedActivation next, ActivationRecord record);

    /** Whether a commit whose answer was lost went through after all. */
    boolean enrollmentRecorded(String enrollmentId);

    /** Whether an activation is recorded: an installation whose answer was lost went through after all. */
    boolean activationRecorded(String activationId);

    /** A consistent read of the fleet's shared activation. */
    Optional<SharedActivation> sharedActivation(String fleet);
}
