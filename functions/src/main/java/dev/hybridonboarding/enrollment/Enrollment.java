package dev.hybridonboarding.enrollment;

import dev.hybridonboarding.fleet.Fleet;
import dev.hybridonboarding.token.BearerToken;
import dev.hybridonboarding.token.EnrollmentToken;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * One enrollment being decided: the request, the token that allows it and the fleet it joins.
 *
 * @param replacedRetryActivationId the activation of a retry record for this machine that can no longer register it
 */
record Enrollment(
        EnrollmentAttempt attempt,
        BearerToken bearer,
        EnrollmentToken token,
        Fleet fleet,
        Map<String, String> acceptedTags,
        String enrollmentId,
        Instant now,
        Optional<String> replacedRetryActivationId) {

    EnrollmentRequest request() {
        return attempt.request();
    }

    EnrollmentRecord record(String activationId, Instant activationExpiresAt) {
        return new EnrollmentRecord(
                enrollmentId,
                token.tokenId(),
                fleet.name(),
                fleet.mode(),
                attempt.requester(),
                request(),
                acceptedTags,
                activationId,
                activationExpiresAt,
                now);
    }

    /** The retry record to write when the machine sent an id to be recognised by. */
    Optional<EnrollmentCommit.RetryWrite> retryWrite(Function<String, RetryRecord> forMachine) {
        return request()
                .machineId()
                .map(machineId ->
                        new EnrollmentCommit.RetryWrite(forMachine.apply(machineId), replacedRetryActivationId));
    }
}
