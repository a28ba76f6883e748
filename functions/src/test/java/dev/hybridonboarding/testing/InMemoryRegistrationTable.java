package dev.hybridonboarding.testing;

import dev.hybridonboarding.enrollment.EnrollmentRecord;
import dev.hybridonboarding.fleet.Fleet;
import dev.hybridonboarding.registration.DigestEntry;
import dev.hybridonboarding.registration.DigestKind;
import dev.hybridonboarding.registration.DigestMember;
import dev.hybridonboarding.registration.DigestStore;
import dev.hybridonboarding.registration.InstanceRecord;
import dev.hybridonboarding.registration.Leased;
import dev.hybridonboarding.registration.RegistrationEvent.Change;
import dev.hybridonboarding.registration.RegistrationStore;
import dev.hybridonboarding.rotation.ActivationRecord;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The registration step's items of the table, in memory, beside the {@link InMemoryTable} whose enrollments and
 * activations it reads: the same promises as the DynamoDB adapter, held to by {@link RegistrationStoreContract}.
 */
public final class InMemoryRegistrationTable implements RegistrationStore, DigestStore {

    /** The calls a test can make fail. */
    public enum Operation {
        INSTANCES,
        LEASE,
        HANDLED,
        LINK,
        ADMIT,
        SENT
    }

    /** What the table holds of an enrollment's instance. */
    public record Link(String instanceId, Instant registeredAt, Optional<Instant> deregisteredAt) {}

    private static final class Item {
        Optional<Instant> registered = Optional.empty();
        Optional<Instant> deregistered = Optional.empty();
        Optional<InstanceRecord.Facts> facts = Optional.empty();
        String owner;
        Instant leaseUntil;

        InstanceRecord record(String instanceId) {
            return new InstanceRecord(instanceId, registered, deregistered, facts);
        }
    }

    private static final class Window {
        long count;
        Optional<Instant> sent = Optional.empty();
        String owner;
        Instant leaseUntil;
        Instant end;
        final Map<String, DigestMember> members = new LinkedHashMap<>();
    }

    private final InMemoryTable table;
    private final Faults<Operation> faults = new Faults<>(Operation.class);
    private final Map<String, Item> items = new HashMap<>();
    private final Map<String, Link> links = new HashMap<>();
    private final Map<String, Window> windows = new HashMap<>();

    public InMemoryRegistrationTable(InMemoryTable table) {
        this.table = table;
    }

    public Faults<Operation> faults() {
        return faults;
    }

    // RegistrationStore

    @Override
    public Map<String, InstanceRecord> instances(Collection<String> instanceIds) {
        return faults.around(Operation.INSTANCES, () -> {
            synchronized (this) {
                Map<String, InstanceRecord> found = new HashMap<>();
                instanceIds.forEach(
                        id -> Optional.ofNullable(items.get(id)).ifPresent(item -> found.put(id, item.record(id))));
                return found;
            }
        });
    }

    @Override
    public Leased<InstanceRecord> lease(String instanceId, Change change, String owner, Instant now, Instant until) {
        return faults.around(Operation.LEASE, () -> {
            synchronized (this) {
                Item item = items.computeIfAbsent(instanceId, id -> new Item());
                if ((change == Change.REGISTERED ? item.registered : item.deregistered).isPresent()) {
                    return new Leased.Handled<>();
                }
                if (item.owner != null && !item.owner.equals(owner) && !item.leaseUntil.isBefore(now)) {
                    return new Leased.Held<>();
                }
                item.owner = owner;
                item.leaseUntil = until;
                return new Leased.Taken<>(item.record(instanceId));
            }
        });
    }

    @Override
    public synchronized void release(String instanceId, String owner) {
        Item item = items.get(instanceId);
        if (item != null && owner.equals(item.owner)) {
            item.owner = null;
            item.leaseUntil = null;
        }
    }

    @Override
    public boolean handled(
            String instanceId, Change change, InstanceRecord.Facts facts, Instant at, Optional<DigestEntry> digest) {
        return faults.around(Operation.HANDLED, () -> {
            synchronized (this) {
                Item item = items.computeIfAbsent(instanceId, id -> new Item());
                if (change == Change.REGISTERED) {
                    item.registered = Optional.of(at);
                } else {
                    item.deregistered = Optional.of(at);
                }
                item.facts = Optional.of(facts);
                item.owner = null;
                item.leaseUntil = null;
                if (digest.isEmpty()) {
                    return true;
                }
                Window window = window(digest.get().kind(), digest.get().windowStart());
                if (window.sent.isPresent()) {
                    return false;
                }
                window.members.put(instanceId, digest.get().member());
                return true;
            }
        });
    }

    @Override
    public synchronized Optional<ActivationRecord> activation(String activationId) {
        return table.activationRecord(activationId);
    }

    @Override
    public synchronized Optional<EnrollmentRecord> enrollment(String enrollmentId) {
        return table.allEnrollments().stream()
                .filter(e -> e.enrollmentId().equals(enrollmentId))
                .findFirst();
    }

    @Override
    public synchronized List<EnrollmentRecord> enrollmentsWith(
            String fleet, String activationId, Instant from, Instant to) {
        return table.allEnrollments().stream()
                .filter(e -> e.fleet().equals(fleet)
                        && e.activationId().equals(activationId)
                        && !e.createdAt().isBefore(from)
                        && !e.createdAt().isAfter(to))
                .sorted(Comparator.comparing(EnrollmentRecord::createdAt).reversed())
                .toList();
    }

    @Override
    public boolean linkEnrollment(String enrollmentId, String instanceId, Instant registeredAt) {
        return faults.around(Operation.LINK, () -> {
            synchronized (this) {
                Link link = links.get(enrollmentId);
                if (link != null) {
                    return link.instanceId().equals(instanceId);
                }
                links.put(enrollmentId, new Link(instanceId, registeredAt, Optional.empty()));
                return true;
            }
        });
    }

    @Override
    public synchronized void enrollmentDeregistered(String enrollmentId, String instanceId, Instant at) {
        Link link = links.get(enrollmentId);
        links.put(
                enrollmentId,
                new Link(
                        link == null ? instanceId : link.instanceId(),
                        link == null ? at : link.registeredAt(),
                        Optional.of(at)));
    }

    @Override
    public synchronized List<String> fleetNames() {
        return table.storedFleets().stream().map(Fleet::name).toList();
    }

    @Override
    public synchronized List<ActivationRecord> activationsExpiringAfter(String fleet, Instant expiredAfter) {
        return table.activations(fleet, expiredAfter);
    }

    // DigestStore

    @Override
    public Admission admit(DigestKind kind, Instant windowStart, Instant windowEnd) {
        return faults.around(Operation.ADMIT, () -> {
            synchronized (this) {
                Window window = window(kind, windowStart);
                window.count++;
                window.end = windowEnd;
                return new Admission(window.count, window.sent.isPresent());
            }
        });
    }

    @Override
    public synchronized List<DigestMember> members(DigestKind kind, Instant windowStart) {
        return List.copyOf(window(kind, windowStart).members.values());
    }

    @Override
    public synchronized Leased<DigestStore.Window> lease(
            DigestKind kind, Instant windowStart, String owner, Instant now, Instant until) {
        Window window = window(kind, windowStart);
        if (window.sent.isPresent()) {
            return new Leased.Handled<>();
        }
        if (window.owner != null && !window.owner.equals(owner) && !window.leaseUntil.isBefore(now)) {
            return new Leased.Held<>();
        }
        window.owner = owner;
        window.leaseUntil = until;
        return new Leased.Taken<>(new DigestStore.Window(kind, windowStart));
    }

    @Override
    public void sent(DigestKind kind, Instant windowStart, Instant at) {
        faults.around(Operation.SENT, () -> {
            synchronized (this) {
                Window window = window(kind, windowStart);
                window.sent = Optional.of(at);
                window.owner = null;
                return null;
            }
        });
    }

    @Override
    public synchronized void release(DigestKind kind, Instant windowStart, String owner) {
        Window window = window(kind, windowStart);
        if (owner.equals(window.owner)) {
            window.owner = null;
            window.leaseUntil = null;
        }
    }

    @Override
    public synchronized List<DigestStore.Window> unsent(Instant endedBefore) {
        List<DigestStore.Window> unsent = new ArrayList<>();
        windows.forEach((key, window) -> {
            if (window.sent.isEmpty()
                    && !window.members.isEmpty()
                    && window.end != null
                    && window.end.isBefore(endedBefore)) {
                String[] parts = key.split("/", 2);
                unsent.add(new DigestStore.Window(DigestKind.parse(parts[0]), Instant.parse(parts[1])));
            }
        });
        return unsent;
    }

    // What tests look at

    public synchronized Optional<Link> link(String enrollmentId) {
        return Optional.ofNullable(links.get(enrollmentId));
    }

    public synchronized Optional<InstanceRecord> record(String instanceId) {
        return Optional.ofNullable(items.get(instanceId)).map(item -> item.record(instanceId));
    }

    private Window window(DigestKind kind, Instant windowStart) {
        return windows.computeIfAbsent(kind.label() + "/" + windowStart, key -> new Window());
    }
}
