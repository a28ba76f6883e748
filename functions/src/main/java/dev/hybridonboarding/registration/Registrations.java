package dev.hybridonboarding.registration;

import dev.hybridonboarding.log.StructuredLog;
import dev.hybridonboarding.notification.Notifier;
import dev.hybridonboarding.registration.RegistrationEvent.Change;
import dev.hybridonboarding.support.DependencyUnavailableException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * The registration step: every message of a batch from the registration queue is settled or asked for again later,
 * each on its own, so one instance that is not visible yet, or one throttled call, holds up nothing else. A change is
 * handled once, whichever route brings it first: what was handled is recorded, and a lease keeps two routes that
 * arrive together from both acting.
 */
public final class Registrations {

    /** The ports a batch talks to the world through. */
    public record Ports(
            ManagedInstances instances,
            RegistrationStore store,
            DigestStore digests,
            RegistrationQueue queue,
            Notifier notifier) {}

    /** Longer than an invocation: a lease outlives its holder only when the holder crashed. */
    static final Duration LEASE = Duration.ofMinutes(2);
    /** Time kept back at the end of an invocation to report the batch. */
    static final Duration RESERVE = Duration.ofSeconds(5);

    private final Ports ports;
    private final Retries retries;
    private final Arrivals arrivals;
    private final Departures departures;
    private final DigestSender digestSender;
    private final Sweep sweep;
    private final Clock clock;
    private final StructuredLog log;

    public Registrations(Ports ports, RegistrationSettings settings, Clock clock, StructuredLog log) {
        this.ports = ports;
        this.retries = new Retries(settings.maxReceives());
        RegistrationNotices notices = new RegistrationNotices(
                new Consoles(settings.region(), settings.owner().stackId()));
        Announcer announcer = new Announcer(ports.digests(), ports.queue(), ports.notifier(), settings.digest(), clock);
        this.arrivals = new Arrivals(ports, settings, announcer, notices, retries, clock, log);
        this.departures = new Departures(ports, announcer, notices, clock, log);
        this.digestSender =
                new DigestSender(ports.digests(), ports.notifier(), notices, settings.digest(), retries, clock, log);
        this.sweep = new Sweep(ports, settings, clock, log);
        this.clock = clock;
        this.log = log;
    }

    /** Settles what it can of the batch, in order, starting nothing it could not finish by {@code deadline}. */
    public Map<String, Disposition> handle(List<Delivery> batch, Instant deadline) {
        String owner = UUID.randomUUID().toString();
        Map<String, Disposition> outcome = new LinkedHashMap<>();
        Map<String, InstanceRecord> known;
        try {
            known = new HashMap<>(ports.store().instances(instanceIds(batch, Optional.empty())));
        } catch (DependencyUnavailableException unavailable) {
            batch.forEach(delivery -> outcome.put(delivery.messageId(), unavailable(delivery, unavailable)));
            return outcome;
        }
        Visible visible = new Visible(batch, known);
        Set<String> seen = new HashSet<>();
        for (Delivery delivery : batch) {
            if (!clock.instant().isBefore(deadline.minus(RESERVE))) {
                outcome.put(delivery.messageId(), Disposition.retry(Duration.ZERO, "the invocation ran out of time"));
                continue;
            }
            Disposition disposition;
            try {
                disposition = settle(delivery, owner, known, visible, seen);
            } catch (DependencyUnavailableException unavailable) {
                disposition = unavailable(delivery, unavailable);
            }
            outcome.put(delivery.messageId(), disposition);
        }
        return outcome;
    }

    /** The scheduled backstop, doing what fits before {@code deadline}; see {@link Sweep}. */
    public SweepRun sweep(Instant deadline) {
        return sweep.run(deadline);
    }

    private Disposition settle(
            Delivery delivery, String owner, Map<String, InstanceRecord> known, Visible visible, Set<String> seen) {
        QueueMessage message = delivery.message();
        if (message instanceof QueueMessage.Ignored ignored) {
            log.info("registration.ignored", "messageId", delivery.messageId(), "why", ignored.why());
            return Disposition.done();
        }
        if (message instanceof QueueMessage.Unreadable unreadable) {
            // Left for the dead-letter queue, whose alarm has someone look at what AWS sent.
            log.error("registration.unreadable", "messageId", delivery.messageId(), "why", unreadable.why());
            return Disposition.retry(Duration.ZERO, unreadable.why());
        }
        if (message instanceof QueueMessage.DigestDue due) {
            return digestSender.send(due.kind(), due.windowStart(), owner, delivery.receiveCount());
        }
        RegistrationEvent event = ((QueueMessage.Change) message).event();
        String id = event.instanceId();
        InstanceRecord record = known.getOrDefault(id, InstanceRecord.unknown(id));
        if (!seen.add(event.change() + "/" + id) || record.handled(event.change())) {
            log.info("registration.duplicate", "instanceId", id, "change", event.change(), "route", event.route());
            return Disposition.done();
        }
        Instant now = clock.instant();
        Leased<InstanceRecord> leased = ports.store().lease(id, event.change(), owner, now, now.plus(LEASE));
        if (leased instanceof Leased.Handled) {
            log.info("registration.duplicate", "instanceId", id, "change", event.change(), "route", event.route());
            return Disposition.done();
        }
        if (leased instanceof Leased.Held) {
            return Disposition.retry(
                    retries.busy(delivery.receiveCount(), LEASE), "another invocation holds the instance");
        }
        InstanceRecord current = ((Leased.Taken<InstanceRecord>) leased).current();
        Disposition disposition = null;
        try {
            disposition = event.change() == Change.REGISTERED
                    ? arrivals.handle(event, current, visible.of(id), delivery.receiveCount())
                    : departures.handle(event, current);
            return disposition;
        } finally {
            if (!(disposition instanceof Disposition.Done)) {
                releaseQuietly(id, owner);
            } else {
                known.remove(id);
            }
        }
    }

    private Disposition unavailable(Delivery delivery, DependencyUnavailableException unavailable) {
        log.warn(
                "registration.retry",
                "messageId",
                delivery.messageId(),
                "cause",
                unavailable.getMessage(),
                "receives",
                delivery.receiveCount());
        return Disposition.retry(retries.unavailable(delivery.receiveCount()), unavailable.getMessage());
    }

    private void releaseQuietly(String instanceId, String owner) {
        try {
            ports.store().release(instanceId, owner);
        } catch (RuntimeException notReleased) {
            log.warn("registration.lease-kept", "instanceId", instanceId, "cause", notReleased.getMessage());
        }
    }

    private static List<String> instanceIds(Collection<Delivery> batch, Optional<Change> change) {
        return batch.stream()
                .map(Delivery::message)
                .filter(QueueMessage.Change.class::isInstance)
                .map(message -> ((QueueMessage.Change) message).event())
                .filter(event -> change.map(c -> c == event.change()).orElse(true))
                .map(RegistrationEvent::instanceId)
                .distinct()
                .toList();
    }

    /** What SSM shows of the batch's newly registered instances, asked once for all of them, when first needed. */
    private final class Visible {
        private final List<String> ids;
        private Map<String, ManagedInstance> described;

        Visible(List<Delivery> batch, Map<String, InstanceRecord> known) {
            this.ids = instanceIds(batch, Optional.of(Change.REGISTERED)).stream()
                    .filter(id ->
                            !known.getOrDefault(id, InstanceRecord.unknown(id)).handled(Change.REGISTERED))
                    .toList();
        }

        Optional<ManagedInstance> of(String instanceId) {
            if (described == null) {
                described = ports.instances().describe(ids);
            }
            return Optional.ofNullable(described.get(instanceId));
        }
    }
}
