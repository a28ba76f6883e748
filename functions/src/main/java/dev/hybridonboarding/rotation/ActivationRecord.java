package dev.hybridonboarding.rotation;

import dev.hybridonboarding.fleet.FleetMode;
import java.time.Instant;
import java.util.Optional;

/**
 * An activation this service created, kept so that spent and expired ones can be found and deleted, and so that
 * an installation whose answer was lost can be told from one that did not happen.
 *
 * @param enrollmentId the enrollment a single-use activation was made for; shared ones serve many
 */
public record ActivationRecord(
        String activationId,
        String fleet,
        FleetMode mode,
        Optional<String> enrollmentId,
        int registrationLimit,
        Instant expiresAt,
        Instant createdAt) {

    public static ActivationRecord singleUse(
            String activationId, String fleet, String enrollmentId, Instant expiresAt, Instant createdAt) {
        return new ActivationRecord(
                activationId, fleet, FleetMode.SINGLE_USE, Optional.of(enrollmentId), 1, expiresAt, createdAt);
    }

    public static ActivationRecord shared(
            String activationId, String fleet, int registrationLimit, Instant expiresAt, Instant createdAt) {
        return new ActivationRecord(
                activationId, fleet, FleetMode.SHARED, Optional.empty(), registrationLimit, expiresAt, createdAt);
    }
}
