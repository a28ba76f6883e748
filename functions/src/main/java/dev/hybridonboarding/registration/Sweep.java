package dev.hybridonboarding.registration;

import dev.hybridonboarding.log.StructuredLog;
import dev.hybridonboarding.registration.RegistrationEvent.Change;
import dev.hybridonboarding.registration.RegistrationEvent.Route;
import dev.hybridonboarding.rotation.ActivationRecord;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The backstop for events EventBridge did not deliver: looks up the instances registered with the activations this
 * deployment issued lately, newest first, and puts those whose registration was never handled on the queue, to be
 * handled as their events would have been. A tick does what fits before its deadline; the next one starts again from
 * the newest. It also has the digests of windows that are over sent, should their message have been lost.
 */
final class Sweep {

    /** Activations looked up at once: SSM takes at most 100 values in a filter. */
    static final int BATCH = 100;
    /** Time kept back at the end of a tick. */
    static final Duration RESERVE = Duration.ofSeconds(10);

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

    SweepRun run(Instant deadline) {
        Instant now = clock.instant();
        List<String> activations = recentActivations(now);
        Instant settled = now.minus(grace());
        int instances = 0;
        int enqueued = 0;
        int looked = 0;
        for (int start = 0; start < activations.size(); start += BATCH) {
            if (!clock.instant().isBefore(deadline.minus(RESERVE))) {
                break;
            }
            List<String> batch = activations.subList(start, Math.min(activations.size(), start + BATCH));
            List<ManagedInstance> found = ports.instances().registeredWith(batch);
            looked += batch.size();
            instances += found.size();
            Map<String, InstanceRecord> records = ports.store()
                    .instances(found.stream().map(ManagedInstance::instanceId).toList());
            List<RegistrationEvent> unseen = new ArrayList<>();
            for (ManagedInstance instance : found) {
                InstanceRecord record = records.get(instance.instanceId());
                if ((record == null || !record.handled(Change.REGISTERED))
                        && instance.registeredAt().isBefore(settled)) {
                    unseen.add(new RegistrationEvent(
                            Change.REGISTERED,
                            instance.instanceId(),
                            Optional.of(instance.activationId()),
                            Route.SWEEP,
                            instance.registeredAt()));
                    log.warn(
                            "registration.found-by-sweep",
                            "instanceId",
                            instance.instanceId(),
                            "activationId",
                            instance.activationId(),
                            "registeredAt",
                            instance.registeredAt());
                }
            }
            if (!unseen.isEmpty()) {
                ports.queue().foundBySweep(unseen);
                enqueued += unseen.size();
            }
        }
        List<DigestStore.Window> windows = ports.digests().unsent(now.minus(DigestPolicy.GRACE));
        windows.forEach(window -> ports.queue().digestDue(window.kind(), window.start(), Duration.ZERO));
        SweepRun run = new SweepRun(looked, activations.size() - looked, instances, enqueued, windows.size());
        log.info(
                "registration.sweep",
                "activations",
                run.activations(),
                "deferredActivations",
                run.deferredActivations(),
                "instances",
                run.instances(),
                "enqueued",
                run.enqueued(),
                "digestsDue",
                run.digestsDue(),
                "tookMs",
                Duration.between(now, clock.instant()).toMillis());
        return run;
    }

    /** Our activations still valid or expired within the lookback, newest first: a dropped event is most likely recent. */
    private List<String> recentActivations(Instant now) {
        Set<String> fleets = new LinkedHashSet<>(ports.store().fleetNames());
        fleets.add(settings.templateFleet());
        List<ActivationRecord> records = new ArrayList<>();
        for (String fleet : fleets) {
            records.addAll(ports.store().activationsExpiringAfter(fleet, now.minus(settings.sweepLookback())));
        }
        return records.stream()
                .sorted(Comparator.comparing(ActivationRecord::createdAt).reversed())
                .map(ActivationRecord::activationId)
                .distinct()
                .toList();
    }
}
