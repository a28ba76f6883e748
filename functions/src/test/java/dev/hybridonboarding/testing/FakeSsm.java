package dev.hybridonboarding.testing;

import dev.hybridonboarding.activation.ActivationCode;
import dev.hybridonboarding.activation.ActivationSpec;
import dev.hybridonboarding.activation.ActivationStatus;
import dev.hybridonboarding.activation.Activations;
import dev.hybridonboarding.activation.IssuedActivation;
import dev.hybridonboarding.rotation.ActivationsInSsm;
import dev.hybridonboarding.rotation.ListedActivation;
import dev.hybridonboarding.support.Pacer;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/** Systems Manager's hybrid activations, in memory, on the test's clock. */
public final class FakeSsm implements Activations, ActivationsInSsm {

    /** The calls a test can make fail. */
    public enum Operation { CREATE, STATUS, DELETE, LIST }

    /** An activation as SSM keeps it. */
    public record Activation(String activationId, ActivationSpec spec, int registrations, Instant createdAt) {
    }

    private final Clock clock;
    private final Faults<Operation> faults = new Faults<>(Operation.class);
    private final Map<String, Activation> live = new LinkedHashMap<>();
    private final List<String> deleted = new ArrayList<>();
    private final List<ActivationCode> issuedCodes = new ArrayList<>();

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
                ActivationCode code = new ActivationCode("Code" + id.replace("-", "").substring(0, 16));
                issuedCodes.add(code);
                return new IssuedActivation(id, code, spec.expiresAt());
            }
        });
    }

    @Override
    public Optional<ActivationStatus> status(String activationId) {
        return faults.around(Operation.STATUS, () -> {
            synchronized (this) {
                return Optional.ofNullable(live.get(activationId)).map(a -> new ActivationStatus(a.registrations(),
                        a.spec().registrationLimit(), !clock.instant().isBefore(a.spec().expiresAt())));
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
                    all.add(new ListedActivation(a.activationId(), a.spec().registrationLimit(), a.registrations(), a.spec().expiresAt(),
                            !clock.instant().isBefore(a.spec().expiresAt()), a.createdAt(), a.spec().tags()));
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
        live.put(activationId, new Activation(activationId, activation.spec(), activation.registrations() + 1, activation.createdAt()));
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
