package dev.hybridonboarding.enrollment;

import java.time.Duration;
import java.time.Instant;

/**
 * How many failed attempts a source address and a token id may make per fixed window before they are told
 * to slow down. The token limit only ever applies to attempts with a wrong secret, so someone who does not
 * know the secret cannot lock the rightful holder out.
 */
public record FailurePolicy(Duration window, int sourceLimit, int tokenLimit) {

    public static final FailurePolicy DEFAULT = new FailurePolicy(Duration.ofMinutes(5), 20, 5);

    public FailurePolicy {
        if (window.toSeconds() < 1 || sourceLimit < 1 || tokenLimit < 1) {
            throw new IllegalArgumentException("failure window and limits must be positive");
        }
    }

    public Instant windowStart(Instant now) {
        long seconds = window.toSeconds();
        return Instant.ofEpochSecond(Math.floorDiv(now.getEpochSecond(), seconds) * seconds);
    }

    public Instant windowEnd(Instant now) {
        return windowStart(now).plus(window);
    }

    public Duration retryAfter(Instant now) {
        Duration left = Duration.between(now, windowEnd(now));
        return left.isZero() || left.isNegative() ? Duration.ofSeconds(1) : left;
    }
}
