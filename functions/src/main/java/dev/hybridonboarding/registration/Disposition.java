package dev.hybridonboarding.registration;

import java.time.Duration;

/** What becomes of one message of a batch. */
public sealed interface Disposition {

    /** Settled: the queue may forget it. */
    record Done() implements Disposition {}

    /** To be delivered again after {@code delay}, for the reason given (logged). */
    record RetryAfter(Duration delay, String why) implements Disposition {}

    static Disposition done() {
        return new Done();
    }

    static Disposition retry(Duration delay, String why) {
        return new RetryAfter(delay, why);
    }
}
