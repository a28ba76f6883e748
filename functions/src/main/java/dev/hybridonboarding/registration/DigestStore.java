package dev.hybridonboarding.registration;

import java.time.Instant;
import java.util.List;

/**
 * The port to the counters of announcements per window, and to each window's digest.
 *
 * @see dev.hybridonboarding.support.DependencyUnavailableException thrown by every method when the table throttles or fails
 */
public interface DigestStore {

    /** The window's count after counting one more announcement, and whether its digest has gone out already. */
    record Admission(long count, boolean digestSent) {}

    /** A window whose digest has not gone out. */
    record Window(DigestKind kind, Instant start) {}

    /** Counts one announcement in the window, atomically. */
    Admission admit(DigestKind kind, Instant windowStart, Instant windowEnd);

    /** The machines the window's digest names, as {@link RegistrationStore#handled} put them there. */
    List<DigestMember> members(DigestKind kind, Instant windowStart);

    /** Takes the right to send the window's digest until {@code until}. */
    Leased<Window> lease(DigestKind kind, Instant windowStart, String owner, Instant now, Instant until);

    void sent(DigestKind kind, Instant windowStart, Instant at);

    void release(DigestKind kind, Instant windowStart, String owner);

    /** Windows that ended before {@code endedBefore} and have members but no digest sent. */
    List<Window> unsent(Instant endedBefore);
}
