package dev.hybridonboarding.enrollment;

import dev.hybridonboarding.fleet.FleetMode;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * The audit record of one enrollment: who asked, from where, for which machine, and what they got. The
 * registration step later joins it to the instance that registers with the activation.
 */
public record EnrollmentRecord(
        String enrollmentId,
        String tokenId,
        String fleet,
        FleetMode mode,
        String sourceIp,
        String userAgent,
        String hostname,
        Platform platform,
        Optional<String> machineId,
        Map<String, String> requestedTags,
        Map<String, String> acceptedTags,
        String activationId,
        Instant activationExpiresAt,
        Instant createdAt) {

    public EnrollmentRecord {
        requestedTags = Map.copyOf(requestedTags);
        acceptedTags = Map.copyOf(acceptedTags);
    }
}
