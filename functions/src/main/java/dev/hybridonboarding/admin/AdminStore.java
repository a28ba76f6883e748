package dev.hybridonboarding.admin;

import dev.hybridonboarding.enrollment.EnrollmentRecord;
import dev.hybridonboarding.fleet.Fleet;
import dev.hybridonboarding.rotation.ActivationRecord;
import dev.hybridonboarding.rotation.SharedActivation;
import dev.hybridonboarding.token.EnrollmentToken;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** The port the admin CLI uses to read and change what is stored. */
public interface AdminStore {

    Optional<Fleet> storedFleet(String name);

    List<Fleet> storedFleets();

    /**
     * Writes a fleet if the stored one still has {@code expectedVersion} (0: none is stored yet).
     *
     * @throws ConcurrentChangeException when it changed or appeared meanwhile
     */
    void putFleet(Fleet fleet, long expectedVersion, Instant now);

    void putToken(EnrollmentToken token);

    Optional<EnrollmentToken> token(String tokenId);

    List<EnrollmentToken> tokens(String fleet);

    /** @return false when there is no such token */
    boolean revokeToken(String tokenId, Instant now);

    /** Enrollments of a fleet at or after {@code since}, newest first. */
    List<EnrollmentRecord> enrollments(String fleet, Instant since, int limit);

    Optional<SharedActivation> sharedActivation(String fleet);

    /** Activations of a fleet that expire after {@code after}. */
    List<ActivationRecord> activations(String fleet, Instant after);

    /** Someone else changed the same record first; read it again and retry. */
    class ConcurrentChangeException extends RuntimeException {
        public ConcurrentChangeException(String message) {
            super(message);
        }
    }
}
