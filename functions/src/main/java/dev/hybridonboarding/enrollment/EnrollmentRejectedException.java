package dev.hybridonboarding.enrollment;

import java.time.Duration;
import java.util.Optional;

/** An enrollment request that gets an error response; nothing was spent or created for it. */
public class EnrollmentRejectedException extends RuntimeException {

    private final EnrollmentFailure failure;
    private final Duration retryAfter;

    public EnrollmentRejectedException(EnrollmentFailure failure, String message) {
        this(failure, message, null);
    }

    public EnrollmentRejectedException(EnrollmentFailure failure, String message, Duration retryAfter) {
        super(message, null, false, false);
        this.failure = failure;
        this.retryAfter = retryAfter;
    }

    public EnrollmentFailure failure() {
        return failure;
    }

    public Optional<Duration> retryAfter() {
        return Optional.ofNullable(retryAfter);
    }
}
