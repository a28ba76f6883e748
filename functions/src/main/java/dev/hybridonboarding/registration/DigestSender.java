package dev.hybridonboarding.registration;

import dev.hybridonboarding.log.StructuredLog;
import dev.hybridonboarding.notification.Notifier;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/** Sends a window's digest once, after the window (and its grace) is over, naming every machine that went into it. */
final class DigestSender {

    private static final Duration LEASE = Duration.ofMinutes(1);

    private final DigestStore digests;
    private final Notifier notifier;
    private final RegistrationNotices notices;
    private final DigestPolicy policy;
    private final Retries retries;
    private final Clock clock;
    private final StructuredLog log;

    DigestSender(
            DigestStore digests,
            Notifier notifier,
            RegistrationNotices notices,
            DigestPolicy policy,
            Retries retries,
            Clock clock,
            StructuredLog log) {
        this.digests = digests;
        this.notifier = notifier;
        this.notices = notices;
        this.policy = policy;
        this.retries = retries;
        this.clock = clock;
        this.log = log;
    }

    Disposition send(DigestKind kind, Instant windowStart, String owner, int receiveCount) {
        Instant now = clock.instant();
        Instant due = policy.dueAt(windowStart);
        if (now.isBefore(due)) {
            return Disposition.retry(retries.waiting(receiveCount, now, due), "the digest's window is not over");
        }
        Leased<DigestStore.Window> leased = digests.lease(kind, windowStart, owner, now, now.plus(LEASE));
        if (leased instanceof Leased.Handled) {
            return Disposition.done();
        }
        if (leased instanceof Leased.Held) {
            return Disposition.retry(retries.busy(), "another invocation is sending the digest");
        }
        try {
            List<DigestMember> members = digests.members(kind, windowStart);
            if (!members.isEmpty()) {
                notifier.send(
                        notices.digest(kind, windowStart, policy.windowEnd(windowStart), policy.threshold(), members));
            }
            digests.sent(kind, windowStart, clock.instant());
            log.info("digest.sent", "kind", kind.label(), "windowStart", windowStart, "machines", members.size());
            return Disposition.done();
        } catch (RuntimeException notSent) {
            digests.release(kind, windowStart, owner);
            throw notSent;
        }
    }
}
