package dev.hybridonboarding.enrollment;

import dev.hybridonboarding.activation.ActivationCode;
import java.time.Instant;

/**
 * The activation a machine receives.
 *
 * @param created true for a new enrollment (201), false when a retry got its earlier activation back (200)
 */
public record EnrollmentResult(
        boolean created,
        String activationId,
        ActivationCode activationCode,
        String region,
        Instant expiresAt,
        String fleet,
        String instanceName,
        String enrollmentId) {}
