package dev.hybridonboarding.rotation;

import java.time.Duration;
import java.time.Instant;

/**
 * A shared fleet's current activation: its code sealed by the vault, and how many machines it was handed
 * to. Handouts are counted here rather than read from SSM's RegistrationsCount, because a machine that got
 * the code may not have registered yet; counting handouts never lets an activation overfill.
 */
public record SharedActivation(
        String activationId,
        byte[] sealedCode,
        Instant expiresAt,
        int registrationLimit,
        int handedOut,
        Instant createdAt) {

    public SharedActivation {
        sealedCode = sealedCode.clone();
    }

    @Override
    public byte[] sealedCode() {
        return sealedCode.clone();
    }

    /** Whether a machine handed this activation now still has {@code margin} to register with it. */
    public boolean canHandOut(Instant now, Duration margin) {
        return handedOut < registrationLimit && now.plus(margin).isBefore(expiresAt);
    }
}
