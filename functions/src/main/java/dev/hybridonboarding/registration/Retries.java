package dev.hybridonboarding.registration;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ThreadLocalRandom;

/**
 * When a message comes back. Every receive counts towards the queue's limit, after which it goes to the dead-letter
 * queue, so waits are spread over the receives there are, and the last receive settles the message with what is known.
 */
final class Retries {

    /** Waits after the first, second, third… receive: the agent's first report comes seconds after its service starts. */
    private static final Duration[] WAITS = {
        Duration.ofSeconds(3), Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofSeconds(75)
    };

    private static final Duration SHORTEST = Duration.ofSeconds(1);
    private static final Duration BUSY = Duration.ofSeconds(5);

    private final int maxReceives;

    Retries(int maxReceives) {
        this.maxReceives = maxReceives;
    }

    /** Whether this receive is the last before the dead-letter queue. */
    boolean lastChance(int receiveCount) {
        return receiveCount >= maxReceives;
    }

    /** Waiting for something expected by {@code until}: not sooner than the next step, not much later than {@code until}. */
    Duration waiting(int receiveCount, Instant now, Instant until) {
        Duration step = WAITS[Math.min(Math.max(receiveCount, 1), WAITS.length) - 1];
        Duration left = Duration.between(now, until).plus(SHORTEST);
        Duration wait = step.compareTo(left) < 0 ? step : left;
        return wait.compareTo(SHORTEST) < 0 ? SHORTEST : wait;
    }

    /** A service throttled or failed: back off, with jitter so that a throttled burst does not come back at once. */
    Duration unavailable(int receiveCount) {
        long base = 5L << Math.min(Math.max(receiveCount, 1) - 1, 4);
        return Duration.ofMillis(base * 1000 + ThreadLocalRandom.current().nextLong(base * 1000));
    }

    /** Someone else holds the instance's lease: its other route, most likely, being handled right now. */
    Duration busy() {
        return BUSY;
    }

    /**
     * Someone else holds a lease of {@code lease}: first its other route, most likely, finishing within seconds; held
     * again at the next receive, it may be a lease no one will release (its taker timed out after the write went
     * through), so the message waits for it to lapse instead of spending its receives before the dead-letter queue.
     */
    Duration busy(int receiveCount, Duration lease) {
        return receiveCount <= 1 ? BUSY : lease.plus(BUSY);
    }
}
