package dev.hybridonboarding.registration;

import java.time.Duration;
import java.time.Instant;

/**
 * When announcements are digested: past {@code threshold} of one kind within a window of fixed length (aligned to the
 * epoch), the rest of that window goes into one summary sent when it ends.
 */
public record DigestPolicy(int threshold, Duration window) {

    /** Time a window's late members get to finish before its digest is sent. */
    static final Duration GRACE = Duration.ofSeconds(15);

    public DigestPolicy {
        if (threshold < 1) {
            throw new IllegalArgumentException("the digest threshold must be at least 1");
        }
        if (window.compareTo(Duration.ofMinutes(1)) < 0 || window.compareTo(Duration.ofMinutes(14)) > 0) {
            // An SQS delay is at most 15 minutes: the digest of a window must be due within one.
            throw new IllegalArgumentException("the digest window must be 1 to 14 minutes, got " + window);
        }
    }

    public Instant windowStart(Instant at) {
        long length = window.toMillis();
        return Instant.ofEpochMilli(Math.floorDiv(at.toEpochMilli(), length) * length);
    }

    public Instant windowEnd(Instant windowStart) {
        return windowStart.plus(window);
    }

    /** When the window's digest may go out: after its end and the grace its late members get. */
    public Instant dueAt(Instant windowStart) {
        return windowEnd(windowStart).plus(GRACE);
    }
}
