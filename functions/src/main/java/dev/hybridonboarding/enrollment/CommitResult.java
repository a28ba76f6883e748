package dev.hybridonboarding.enrollment;

/** What the atomic enrollment write did: everything, or nothing for one of the reasons below. */
public enum CommitResult {
    COMMITTED,
    /** The token ran out of uses since it was read. */
    TOKEN_SPENT,
    /** The token was revoked or expired since it was read. */
    TOKEN_INVALIDATED,
    /** The shared activation filled up, neared expiry or was replaced since it was read. */
    SHARED_ACTIVATION_SPENT,
    /** The fleet was disabled since it was read. */
    FLEET_DISABLED,
    /** A concurrent request for the same token and machine got there first. */
    MACHINE_ALREADY_ENROLLED
}
