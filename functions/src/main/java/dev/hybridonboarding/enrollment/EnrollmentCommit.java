package dev.hybridonboarding.enrollment;

import java.time.Instant;
import java.util.Optional;

/**
 * The writes that make an enrollment happen, applied atomically: spend one use of the token, record the
 * enrollment, remember what the machine got, and either record the new single-use activation or count one
 * more handout of the fleet's shared activation.
 *
 * @param handoutDeadline a shared activation is only handed out if it expires after this instant
 * @param replacedRetryActivationId the activation of a retry record this commit may overwrite because that
 *                                  activation can no longer register the machine
 */
public record EnrollmentCommit(
        String tokenId,
        EnrollmentRecord enrollment,
        Optional<RetryRecord> retryRecord,
        Optional<ActivationRecord> singleUseActivation,
        Optional<String> sharedActivationId,
        Instant now,
        Instant handoutDeadline,
        Optional<String> replacedRetryActivationId) {
}
