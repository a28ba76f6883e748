package dev.hybridonboarding.registration;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * A managed instance came or went, as one route told us.
 *
 * @param activationId the activation it registered with, when the event names it (CloudTrail's deregistration does not)
 * @param time         when it happened, as the event says
 */
public record RegistrationEvent(
        Change change, String instanceId, Optional<String> activationId, Route route, Instant time) {

    /** What happened to the instance. */
    public enum Change {
        REGISTERED,
        DEREGISTERED
    }

    /** How we heard of it: both AWS routes usually arrive for one change; the sweep finds what neither delivered. */
    public enum Route {
        SSM_EVENT("Systems Manager event"),
        CLOUDTRAIL("CloudTrail event"),
        SWEEP("scheduled sweep");

        private final String description;

        Route(String description) {
            this.description = description;
        }

        public String description() {
            return description;
        }
    }

    public RegistrationEvent {
        Objects.requireNonNull(change, "change");
        Objects.requireNonNull(instanceId, "instanceId");
        Objects.requireNonNull(activationId, "activationId");
        Objects.requireNonNull(route, "route");
        Objects.requireNonNull(time, "time");
    }
}
