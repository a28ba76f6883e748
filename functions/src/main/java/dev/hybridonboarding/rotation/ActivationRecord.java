package dev.hybridonboarding.enrollment;

import dev.hybridonboarding.fleet.FleetMode;
import java.time.Instant;
import java.util.Optional;

/** An activation this service created, kept so that spent and expired ones can be found and deleted. */
public record ActivationRecord(
        String activationId,
        String fleet,
        FleetMode mode,
        Optional<String> enrollmentId,
        int registrationLimit,
        Instant expiresAt,
        Instant createdAt) {
}
