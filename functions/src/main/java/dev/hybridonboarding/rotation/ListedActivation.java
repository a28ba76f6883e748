package dev.hybridonboarding.rotation;

import java.time.Instant;
import java.util.Map;

/** An activation as SSM lists it: every one in the account and Region, ours or not. */
public record ListedActivation(
        String activationId,
        int registrationLimit,
        int registrationsCount,
        Instant expiresAt,
        boolean expired,
        Instant createdAt,
        Map<String, String> tags) {

    public ListedActivation {
        tags = Map.copyOf(tags);
    }

    public boolean usedUp() {
        return registrationsCount >= registrationLimit;
    }
}
