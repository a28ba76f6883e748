package dev.hybridonboarding.support;

import java.time.Duration;

/**
 * Spreads calls to a service with low, unpublished rate limits (SSM) over time: no more than {@code perSecond} start
 * in any second, whatever the caller's loop would do. It counts the calls it let through, for the run's summary.
 */
public final class Pacer {

    /** How the pacer waits; tests give one that only counts. */
    public interface Sleeper {
        void sleep(Duration duration) throws InterruptedException;
    }

    private final long nanosBetweenCalls;
    private final Sleeper sleeper;
    private long nextCallAt = Long.MIN_VALUE;
    private long calls;

    public Pacer(double perSecond, Sleeper sleeper) {
        if (!(perSecond > 0)) {
            throw new IllegalArgumentException("a pace must be a positive number of calls per second");
        }
        this.nanosBetweenCalls = (long) (1_000_000_000L / perSecond);
        this.sleeper = sleeper;
    }

    public static Pacer realTime(double perSecond) {
        return new Pacer(
                perSecond, duration -> Thread.sleep(duration.toMillis(), (int) (duration.toNanos() % 1_000_000)));
    }

    /** Waits until the next call may start, then counts it. */
    public synchronized void beforeCall() {
        long now = System.nanoTime();
        if (nextCallAt != Long.MIN_VALUE && now < nextCallAt) {
            try {
                sleeper.sleep(Duration.ofNanos(nextCallAt - now));
            } catch (InterruptedException interrupted) {
                Thread.currentThread().interrupt();
                throw new DependencyUnavailableException("interrupted while pacing calls", interrupted);
            }
            now = nextCallAt;
        }
        nextCallAt = now + nanosBetweenCalls;
        calls++;
    }

    public synchronized long calls() {
        return calls;
    }
}
