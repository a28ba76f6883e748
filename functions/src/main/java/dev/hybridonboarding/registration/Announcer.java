package dev.hybridonboarding.registration;

import dev.hybridonboarding.notification.Notice;
import dev.hybridonboarding.notification.Notifier;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * Sends a notice, or lets a digest stand for it: within a window, the first {@code threshold} welcomes (or goodbyes) go
 * out one by one and the rest into the window's digest, which the queue has sent once the window is over. Alerts
 * always go out. A late one, counted after its window's digest went, goes out alone.
 */
final class Announcer {

    private final DigestStore digests;
    private final RegistrationQueue queue;
    private final Notifier notifier;
    private final DigestPolicy policy;
    private final Clock clock;

    Announcer(DigestStore digests, RegistrationQueue queue, Notifier notifier, DigestPolicy policy, Clock clock) {
        this.digests = digests;
        this.queue = queue;
        this.notifier = notifier;
        this.policy = policy;
        this.clock = clock;
    }

    /** @return the digest place the notice took instead of being sent, if it did */
    Optional<DigestEntry> announce(Notice notice, DigestKind kind, DigestMember member) {
        if (notice.isAlert()) {
            notifier.send(notice);
            return Optional.empty();
        }
        Instant now = clock.instant();
        Instant window = policy.windowStart(now);
        DigestStore.Admission admission = digests.admit(kind, window, policy.windowEnd(window));
        if (admission.digestSent() || admission.count() <= policy.threshold()) {
            notifier.send(notice);
            return Optional.empty();
        }
        if (admission.count() == policy.threshold() + 1) {
            Duration untilDue = Duration.between(now, policy.dueAt(window));
            queue.digestDue(kind, window, untilDue.isNegative() ? Duration.ZERO : untilDue);
        }
        return Optional.of(new DigestEntry(kind, window, member));
    }

    /** A notice whose digest went out before it could take its place there: it goes out alone. */
    void late(Notice notice) {
        notifier.send(notice);
    }
}
