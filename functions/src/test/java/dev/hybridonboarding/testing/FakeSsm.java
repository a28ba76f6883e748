package dev.hybridonboarding.testing;

import dev.hybridonboarding.activation.ActivationCode;
import dev.hybridonboarding.activation.ActivationSpec;
import dev.hybridonboarding.activation.ActivationStatus;
import dev.hybridonboarding.activation.Activations;
import dev.hybridonboarding.activation.IssuedActivation;
import dev.hybridonboarding.registration.ManagedInstance;
import dev.hybridonboarding.registration.ManagedInstances;
import dev.hybridonboarding.rotation.ActivationsInSsm;
import dev.hybridonboarding.rotation.ListedActivation;
import dev.hybridonboarding.support.Pacer;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/** Systems Manager's hybrid activations and managed instances, in memory, on the test's clock. */
public final class FakeSsm implements Activations, ActivationsInSsm, ManagedInstances {

    /** The calls a test can make fail. */
    public enum Operation {
        CREATE,
        STATUS,
        DELETE,
        LIST,
        DESCRIBE_INSTANCES,
        LIST_INSTANCES,
        LIST_TAGS,
        TAG,
        DEREGISTER
    }

    /**
     * A managed instance as SSM keeps it.
     *
     * @param tagUpdates AddTagsToResource calls that went through for it
     */
    public record Instance(
            String instanceId,
            String activationId,
            Instant registeredAt,
            Map<String, String> tags,
            Optional<ManagedInstance.MachineReport> report,
            int tagUpdates) {

        ManagedInstance described() {
            return new ManagedInstance(instanceId, activationId, registeredAt, report);
        }
    }

    /** An activation as SSM keeps it. */
    public record Activation(String activationId, ActivationSpec spec, int registrations, Instant createdAt) {}

    private final Clock clock;
    private final Faults<Operation> faults = new Faults<>(Operation.class);
    private final Map<String, Activation> live = new LinkedHashMap<>();
    private final List<String> deleted = new ArrayList<>();
    private final List<ActivationCode> issuedCodes = new ArrayList<>();
    private final Map<String, Instance> instances = new LinkedHashMap<>();
    private final Set<String> notVisibleYet = new HashSet<>();
    private final List<String> deregistered = new ArrayList<>();
    private int instanceSequence;

    public FakeSsm(Clock clock) {
        this.clock = clock;
    }

    public Faults<Operation> faults() {
        return faults;
    }

    @Override
    public IssuedActivation create(ActivationSpec spec) {
        return faults.around(Operation.CREATE, () -> {
            synchronized (this) {
                String id = UUID.randomUUID().toString();
                live.put(id, new Activation(id, spec, 0, clock.instant()));
                ActivationCode code =
                        new ActivationCode("Code" + id.replace("-", "").substring(0, 16));
                issuedCodes.add(code);
                return new IssuedActivation(id, code, spec.expiresAt());
            }
        });
    }

    @Override
    public Optional<ActivationStatus> status(String activationId) {
        return faults.around(Operation.STATUS, () -> {
            synchronized (this) {
                return Optional.ofNullable(live.get(activationId))
                        .map(a -> new ActivationStatus(
                                a.registrations(),
                                a.spec().registrationLimit(),
                                !clock.instant().isBefore(a.spec().expiresAt())));
            }
        });
    }

    @Override
    public void delete(String activationId) {
        faults.around(Operation.DELETE, () -> {
            synchronized (this) {
                if (live.remove(activationId) != null) {
                    deleted.add(activationId);
                }
                return null;
            }
        });
    }

    @Override
    public List<ListedActivation> all(Pacer pacer) {
        return faults.around(Operation.LIST, () -> {
            synchronized (this) {
                List<ListedActivation> all = new ArrayList<>();
                int page = 0;
                for (Activation a : live.values()) {
                    if (page++ % 50 == 0) {
                        pacer.beforeCall();
                    }
                    all.add(new ListedActivation(
                            a.activationId(),
                            a.spec().registrationLimit(),
                            a.registrations(),
                            a.spec().expiresAt(),
                            !clock.instant().isBefore(a.spec().expiresAt()),
                            a.createdAt(),
                            a.spec().tags()));
                }
                return all;
            }
        });
    }

    /** Someone else creates an activation, by hand or with another tool: created as it says, with the tags given. */
    public synchronized String createdElsewhere(ActivationSpec spec, Instant createdAt) {
        String id = UUID.randomUUID().toString();
        live.put(id, new Activation(id, spec, 0, createdAt));
        return id;
    }

    /** A machine registers with the activation, as the agent would. */
    public synchronized void register(String activationId) {
        Activation activation = live.get(activationId);
        live.put(
                activationId,
                new Activation(
                        activationId, activation.spec(), activation.registrations() + 1, activation.createdAt()));
    }

    /**
     * A machine registers with the activation and becomes a managed instance with a copy of the activation's tags; as
     * with the real agent, SSM knows nothing of the machine until its service reports ({@link #report}).
     */
    public synchronized String registerMachine(String activationId) {
        register(activationId);
        String instanceId = String.format("mi-%017x", ++instanceSequence);
        instances.put(
                instanceId,
                new Instance(
                        instanceId,
                        activationId,
                        clock.instant(),
                        new LinkedHashMap<>(live.get(activationId).spec().tags()),
                        Optional.empty(),
                        0));
        return instanceId;
    }

    /** The agent's service reports the machine. */
    public synchronized void report(String instanceId, String computerName, String ipAddress) {
        Instance instance = instances.get(instanceId);
        instances.put(
                instanceId,
                new Instance(
                        instanceId,
                        instance.activationId(),
                        instance.registeredAt(),
                        instance.tags(),
                        Optional.of(
                                new ManagedInstance.MachineReport(computerName, ipAddress, "Ubuntu", "22.04", "Linux")),
                        instance.tagUpdates()));
    }

    /** SSM does not list the instance yet, as shortly after a registration under load. */
    public synchronized void hide(String instanceId) {
        notVisibleYet.add(instanceId);
    }

    public synchronized void reveal(String instanceId) {
        notVisibleYet.remove(instanceId);
    }

    public synchronized Optional<Instance> instance(String instanceId) {
        return Optional.ofNullable(instances.get(instanceId));
    }

    /** Instances deregistered through {@link #deregister}, in order. */
    public synchronized List<String> deregisteredInstances() {
        return List.copyOf(deregistered);
    }

    @Override
    public Map<String, ManagedInstance> describe(Collection<String> instanceIds) {
        return faults.around(Operation.DESCRIBE_INSTANCES, () -> {
            synchronized (this) {
                Map<String, ManagedInstance> found = new LinkedHashMap<>();
                for (String id : instanceIds) {
                    Instance instance = instances.get(id);
                    if (instance != null && !notVisibleYet.contains(id)) {
                        found.put(id, instance.described());
                    }
                }
                return found;
            }
        });
    }

    @Override
    public List<ManagedInstance> registeredWith(Collection<String> activationIds) {
        return faults.around(Operation.LIST_INSTANCES, () -> {
            synchronized (this) {
                return instances.values().stream()
                        .filter(i ->
                                activationIds.contains(i.activationId()) && !notVisibleYet.contains(i.instanceId()))
                        .map(Instance::described)
                        .toList();
            }
        });
    }

    @Override
    public Map<String, String> tags(String instanceId) {
        return faults.around(Operation.LIST_TAGS, () -> {
            synchronized (this) {
                Instance instance = instances.get(instanceId);
                return instance == null ? Map.of() : Map.copyOf(instance.tags());
            }
        });
    }

    @Override
    public boolean tag(String instanceId, Map<String, String> tags) {
        return faults.around(Operation.TAG, () -> {
            synchronized (this) {
                Instance instance = instances.get(instanceId);
                if (instance == null) {
                    return false;
                }
                Map<String, String> merged = new LinkedHashMap<>(instance.tags());
                merged.putAll(tags);
                instances.put(
                        instanceId,
                        new Instance(
                                instanceId,
                                instance.activationId(),
                                instance.registeredAt(),
                                merged,
                                instance.report(),
                                instance.tagUpdates() + 1));
                return true;
            }
        });
    }

    @Override
    public void deregister(String instanceId) {
        faults.around(Operation.DEREGISTER, () -> {
            synchronized (this) {
                if (instances.remove(instanceId) != null) {
                    deregistered.add(instanceId);
                }
                return null;
            }
        });
    }

    public synchronized Optional<Activation> activation(String activationId) {
        return Optional.ofNullable(live.get(activationId));
    }

    public synchronized List<Activation> live() {
        return List.copyOf(live.values());
    }

    public synchronized List<String> deleted() {
        return List.copyOf(deleted);
    }

    /** CreateActivation calls that created one. */
    public synchronized int created() {
        return issuedCodes.size();
    }

    /** Every code SSM ever returned, to look for in logs. */
    public synchronized List<ActivationCode> issuedCodes() {
        return List.copyOf(issuedCodes);
    }
}
