package dev.hybridonboarding.enrollment;

import dev.hybridonboarding.fleet.FleetMode;
import java.time.Instant;
import java.util.Map;

/**
 * The audit record of one enrollment: who asked, from where, for which machine, and what they got. The
 * registration step later joins it to the instance that registers with the activation.
 *
 * @param request      what the machine sent (hostname, platform, machine id, requested tags)
 * @param acceptedTags the requested tags the fleet let the machine set
 */
public record EnrollmentRecord(
        String enrollmentId,
        String tokenId,
        String fleet,
        FleetMode mode,
        Requester requester,
        EnrollmentRequest request,
        Map<String, String> acceptedTags,
        String activationId,
        Instant activationExpiresAt,
        Instant createdAt) {

    public EnrollmentRecord {
        acceptedTags = Map.copyOf(acceptedTags);
    }
}
