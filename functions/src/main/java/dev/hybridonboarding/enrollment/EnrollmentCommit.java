package dev.hybridonboarding.enrollment;

import dev.hybridonboarding.rotation.ActivationRecord;
import java.time.Instant;
import java.util.Optional;

/**
 * The writes that make an enrollment happen, applied atomically: spend one use of the token, record the
 * enrollment, remember what the machine got (when it sent a machine id), and either record the new single-use
 * activation or count one more handout of the fleet's shared activation; all of it only while the fleet is still
 * enabled, so that disabling a fleet stops enrollments in flight too.
 *
 * @param handoutDeadline a shared activation is only handed out, and a retry record only replaced, if it expires
 *                        after this instant
 */
public record EnrollmentCommit(
        String tokenId,
        EnrollmentRecord enrollment,
        Optional<RetryWrite> retry,
        ActivationUse use,
        Instant now,
        Instant handoutDeadline) {

    /** How the enrollment uses an activation. */
    public sealed interface ActivationUse {}

    /** A single-use activation created for this enrollment, recorded by the commit. */
    public record NewSingleUseActivation(ActivationRecord record) implements ActivationUse {}

    /** One more handout of the fleet's current shared activation, counted against its limit. */
    public record SharedHandout(String activationId) implements ActivationUse {}

    /**
     * The retry record to write.
     *
     * @param replacesActivationId the activation of an existing retry record that this one may overwrite, because
     *                             that activation can no longer register the machine
     */
    public record RetryWrite(RetryRecord record, Optional<String> replacesActivationId) {}

    public static EnrollmentCommit singleUse(
            String tokenId,
            EnrollmentRecord enrollment,
            Optional<RetryWrite> retry,
            ActivationRecord activation,
            Instant now,
            Instant handoutDeadline) {
        return new EnrollmentCommit(
                tokenId, enrollment, retry, new NewSingleUseActivation(activation), now, handoutDeadline);
    }

    public static EnrollmentCommit sharedHandout(
            String tokenId,
            EnrollmentRecord enrollment,
            Optional<RetryWrite> retry,
            String activationId,
            Instant now,
            Instant handoutDeadline) {
        return new EnrollmentCommit(tokenId, enrollment, retry, new SharedHandout(activationId), now, handoutDeadline);
    }
}
