package dev.hybridonboarding.activation;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * What SSM says of activations, remembered for a short while in one execution environment. Asking on every handout
 * would add a call to every shared enrollment; asking once a minute per activation still notices within a minute
 * an activation that others filled with registrations of their own.
 */
public final class RecentActivationStatus {

    private static final int MAX_ENTRIES = 64;

    private record Seen(Optional<ActivationStatus> status, Instant at) {}

    private final Activations activations;
    private final Clock clock;
    private final Duration freshFor;
    private final Map<String, Seen> seen = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Seen> eldest) {
            return size() > MAX_ENTRIES;
        }
    };

    public RecentActivationStatus(Activations activations, Clock clock, Duration freshFor) {
        this.activations = activations;
        this.clock = clock;
        this.freshFor = freshFor;
    }

    /**
     * @return the activation's state as SSM gave it at most {@code freshFor} ago, or empty when SSM no longer has it
     * @throws dev.hybridonboarding.support.DependencyUnavailableException when SSM had to be asked and did not answer
     */
    public Optional<ActivationStatus> status(String activationId) {
        Instant now = clock.instant();
        synchronized (seen) {
            Seen last = seen.get(activationId);
            if (last != null && now.isBefore(last.at().plus(freshFor))) {
                return last.status();
            }
        }
        Optional<ActivationStatus> status = activations.status(activationId);
        synchronized (seen) {
            seen.put(activationId, new Seen(status, now));
        }
        return status;
    }
}
