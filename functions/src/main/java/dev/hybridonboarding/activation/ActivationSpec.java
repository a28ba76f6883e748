package dev.hybridonboarding.activation;

import java.time.Instant;
import java.util.Map;

/** What to ask SSM for: every field maps onto one CreateActivation parameter. */
public record ActivationSpec(
        String instanceRole,
        int registrationLimit,
        Instant expiresAt,
        String defaultInstanceName,
        String description,
        Map<String, String> tags) {

    public static final int MAX_REGISTRATION_LIMIT = 1000;
    public static final int MAX_TEXT_LENGTH = 256;

    public ActivationSpec {
        if (registrationLimit < 1 || registrationLimit > MAX_REGISTRATION_LIMIT) {
            throw new IllegalArgumentException("registration limit must be 1-" + MAX_REGISTRATION_LIMIT);
        }
        defaultInstanceName = truncate(defaultInstanceName);
        description = truncate(description);
        tags = Map.copyOf(tags);
    }

    private static String truncate(String text) {
        return text == null || text.length() <= MAX_TEXT_LENGTH ? text : text.substring(0, MAX_TEXT_LENGTH);
    }
}
