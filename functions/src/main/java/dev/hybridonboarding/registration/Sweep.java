package dev.hybridonboarding.registration;

import dev.hybridonboarding.log.StructuredLog;
import dev.hybridonboarding.registration.RegistrationEvent.Change;
import dev.hybridonboarding.registration.RegistrationEvent.Route;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The backstop for events EventBridge did not deliver: looks up the instances registered with the activations this
 * deployment issued lately, and puts those whose registration was never handled on the queue, to be handled as their
 * events would have been. It also has the digests of windows that are over sent, should their message have been lost.
 */
final class Sweep {

    private final Registrations.Ports ports;
    private final RegistrationSettings settings;
    private final Clock clock;
    private final StructuredLog log;

    Sweep(Registrations.Ports ports, RegistrationSettings settings, Clock clock, StructuredLog log) {
        this.ports = ports;
        this.settings = settings;
        this.clock = clock;
        this.log = log;
    }

    /** Registrations younger than this are left to their events, which are normally on their way or being handled. */
    Duration grace() {
        return settings.reportWait().plus(Duration.ofMinutes(1));
    }

    SweepRun run() {
        Instant now = clock.instant();
        Set<String> fleets = new LinkedHashSet<>(ports.store().fleetNames());
        fleets.add(settings.templateFleet());
        Set<String> activations = new LinkedHashSet<>();
        for (String fleet : fleets) {
            activations.addAll(ports.store().activationsExpiringAfter(fleet, now.minus(settings.sweepLookback())));
        }
        List<ManagedInstance> instances = activations.isEmpty() ? List.of() : ports.instances().registeredWith(activations);
        Map<String, InstanceRecord> records = ports.store().instances(instances.stream().map(ManagedInstance::instanceId).toList());
        Instant settled = now.minus(grace());
        List<RegistrationEvent> unseen = new ArrayList<>();
        for (ManagedInstance instance : instances) {
            InstanceRecord record = records.get(instance.instanceId());
            if ((record == null || !record.handled(Change.REGISTERED)) && instance.registeredAt().isBefore(settled)) {
                unseen.add(new RegistrationEvent(Change.REGISTERED, instance.instanceId(), Optional.of(instance.activationId()), Route.SWEEP,
                        instance.registeredAt()));
            }
        }
        if (!unseen.isEmpty()) {
            ports.queue().foundBySweep(unseen);
        }
        List<DigestStore.Window> windows = ports.digests().unsent(now.minus(DigestPolicy.GRACE));
        windows.forEach(window -> ports.queue().digestDue(window.kind(), window.start(), Duration.ZERO));
        SweepRun run = new SweepRun(activations.size(), instances.size(), unseen.size(), windows.size());
        log.info("registration.sweep", "activations", run.activations(), "instances", run.instances(), "enqueued", run.enqueued(),
                "digestsDue", run.digestsDue(), "tookMs", Duration.between(now, clock.instant()).toMillis());
        unseen.forEach(event -> log.warn("registration.found-by-sweep", "instanceId", event.instanceId(), "activationId",
                event.activationId().orElse(null), "registeredAt", event.time()));
        return run;
    }
}
