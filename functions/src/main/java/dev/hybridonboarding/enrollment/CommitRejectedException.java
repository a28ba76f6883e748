package dev.hybridonboarding.enrollment;

/** The atomic enrollment write lost a race; nothing of it was applied. */
public class CommitRejectedException extends RuntimeException {

    public enum Reason {
        /** The token ran out of uses since it was read. */
        TOKEN_SPENT,
        /** The token was revoked or expired since it was read. */
        TOKEN_INVALIDATED,
        /** The shared activation filled up, neared expiry or was replaced since it was read. */
        SHARED_ACTIVATION_SPENT,
        /** A concurrent request for the same token and machine got there first. */
        MACHINE_ALREADY_ENROLLED
    }

    private final Reason reason;

    public CommitRejectedException(Reason reason) {
        super(reason.name(), null, false, false);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
