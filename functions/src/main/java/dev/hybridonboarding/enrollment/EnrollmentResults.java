package dev.hybridonboarding.enrollment;

import dev.hybridonboarding.activation.ActivationCode;
import dev.hybridonboarding.activation.ActivationRejectedException;
import dev.hybridonboarding.fleet.Fleet;
import dev.hybridonboarding.log.StructuredLog;
import java.time.Instant;

/** The two ends an enrollment can come to once it has a fleet: an activation issued, or a fleet SSM refuses. */
final class EnrollmentResults {

    private EnrollmentResults() {}

    static EnrollmentResult issued(
            Enrollment e,
            String activationId,
            ActivationCode code,
            Instant expiresAt,
            String region,
            StructuredLog log) {
        log.info(
                "enrollment.issued",
                "enrollmentId",
                e.enrollmentId(),
                "tokenId",
                e.token().tokenId(),
                "fleet",
                e.fleet().name(),
                "mode",
                e.fleet().mode(),
                "activationId",
                activationId,
                "hostname",
                e.request().hostname(),
                "sourceIp",
                e.attempt().requester().sourceIp());
        return new EnrollmentResult(
                true,
                activationId,
                code,
                region,
                expiresAt,
                e.fleet().name(),
                e.request().hostname(),
                e.enrollmentId());
    }

    static EnrollmentRejectedException misconfigured(
            Fleet fleet, ActivationRejectedException rejected, StructuredLog log) {
        log.error(
                "activation.rejected",
                "fleet",
                fleet.name(),
                "instanceRole",
                fleet.instanceRole(),
                "cause",
                rejected.getMessage());
        return new EnrollmentRejectedException(
                EnrollmentFailure.FLEET_MISCONFIGURED,
                "Systems Manager refused the activation for fleet '" + fleet.name()
                        + "'; an administrator must check the fleet's instance role");
    }
}
