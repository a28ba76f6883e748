package dev.hybridonboarding.testing;

import dev.hybridonboarding.admin.AdminStore;
import dev.hybridonboarding.enrollment.CommitResult;
import dev.hybridonboarding.enrollment.EnrollmentCommit;
import dev.hybridonboarding.enrollment.EnrollmentRecord;
import dev.hybridonboarding.enrollment.EnrollmentSnapshot;
import dev.hybridonboarding.enrollment.EnrollmentStore;
import dev.hybridonboarding.enrollment.RetryRecord;
import dev.hybridonboarding.fleet.Fleet;
import dev.hybridonboarding.rotation.ActivationRecord;
import dev.hybridonboarding.rotation.RotationRun;
import dev.hybridonboarding.rotation.RotationStore;
import dev.hybridonboarding.rotation.SharedActivation;
import dev.hybridonboarding.rotation.SharedActivationStore;
import dev.hybridonboarding.token.EnrollmentToken;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The table, in memory, with the same conditions as the DynamoDB adapters: what the contract tests hold both to.
 * Every method is atomic, as DynamoDB's conditional writes and transactions are. {@link #faults()} makes calls fail
 * or lose their answers.
 */
public final class InMemoryTable implements EnrollmentStore, SharedActivationStore, AdminStore, RotationStore {

    /** The calls a test can make fail. */
    public enum Operation {
        LOAD,
        RECORD_FAILURE,
        COMMIT,
        ENROLLMENT_RECORDED,
        CURRENT,
        ACQUIRE_LEASE,
        RELEASE_LEASE,
        INSTALL,
        ACTIVATION_RECORDED,
        LIVE_ACTIVATIONS,
        MARK_DELETED,
        DROP_RETRY_RECORDS,
        SAVE_RUN
    }

    private record Lease(String owner, Instant until) {}

    private final Faults<Operation> faults = new Faults<>(Operation.class);
    private final Map<String, Fleet> fleets = new HashMap<>();
    private final Map<String, EnrollmentToken> tokens = new HashMap<>();
    private final Map<String, RetryRecord> retries = new HashMap<>();
    private final Map<String, EnrollmentRecord> enrollments = new HashMap<>();
    private final Map<String, ActivationRecord> activations = new HashMap<>();
    private final Map<String, SharedActivation> shared = new HashMap<>();
    private final Map<String, Lease> leases = new HashMap<>();
    private final Map<String, Integer> failures = new HashMap<>();
    private final Map<String, Instant> deleted = new HashMap<>();
    private RotationRun lastRun;

    public Faults<Operation> faults() {
        return faults;
    }

    // EnrollmentStore

    @Override
    public EnrollmentSnapshot load(SnapshotKey key) {
        return faults.around(Operation.LOAD, () -> {
            synchronized (this) {
                return new EnrollmentSnapshot(
                        Optional.ofNullable(tokens.get(key.tokenId())),
                        Optional.ofNullable(fleets.get(key.fleet())),
                        Optional.ofNullable(shared.get(key.fleet())),
                        key.machineId().map(machineId -> retries.get(retryKey(key.tokenId(), machineId))),
                        failures.getOrDefault(failureKey("source", key.failureSource(), key.failureWindow()), 0),
                        failures.getOrDefault(failureKey("token", key.tokenId(), key.failureWindow()), 0));
            }
        });
    }

    @Override
    public void recordFailure(
            String failureSource, Optional<String> tokenId, Instant failureWindow, Instant expiresAt) {
        faults.around(Operation.RECORD_FAILURE, () -> {
            synchronized (this) {
                failures.merge(failureKey("source", failureSource, failureWindow), 1, Integer::sum);
                tokenId.ifPresent(id -> failures.merge(failureKey("token", id, failureWindow), 1, Integer::sum));
                return null;
            }
        });
    }

    @Override
    public CommitResult commit(EnrollmentCommit commit) {
        return faults.around(Operation.COMMIT, () -> {
            synchronized (this) {
                return commitAtomically(commit);
            }
        });
    }

    private CommitResult commitAtomically(EnrollmentCommit commit) {
        EnrollmentToken token = tokens.get(commit.tokenId());
        boolean tokenInvalid =
                token == null || token.revoked() || !token.expiresAt().isAfter(commit.now());
        boolean tokenRefused = tokenInvalid || token.uses() >= token.maxUses();
        boolean enrollmentExists = enrollments.containsKey(commit.enrollment().enrollmentId());
        boolean retryRefused = commit.retry()
                .map(write -> {
                    RetryRecord existing = retries.get(
                            retryKey(commit.tokenId(), write.record().machineId()));
                    return existing != null
                            && existing.expiresAt().isAfter(commit.handoutDeadline())
                            && !write.replacesActivationId()
                                    .map(existing.activationId()::equals)
                                    .orElse(false);
                })
                .orElse(false);
        boolean handoutRefused = false;
        if (commit.use() instanceof EnrollmentCommit.SharedHandout handout) {
            SharedActivation current = shared.get(commit.enrollment().fleet());
            handoutRefused = current == null
                    || !current.activationId().equals(handout.activationId())
                    || current.handedOut() >= current.registrationLimit()
                    || !current.expiresAt().isAfter(commit.handoutDeadline());
        }
        Fleet fleet = fleets.get(commit.enrollment().fleet());
        if (enrollmentExists || retryRefused) {
            return CommitResult.MACHINE_ALREADY_ENROLLED;
        }
        if (fleet != null && !fleet.enabled()) {
            return CommitResult.FLEET_DISABLED;
        }
        if (tokenRefused) {
            return tokenInvalid ? CommitResult.TOKEN_INVALIDATED : CommitResult.TOKEN_SPENT;
        }
        if (handoutRefused) {
            return CommitResult.SHARED_ACTIVATION_SPENT;
        }
        tokens.put(token.tokenId(), withUses(token, token.uses() + 1));
        enrollments.put(commit.enrollment().enrollmentId(), commit.enrollment());
        commit.retry()
                .ifPresent(write ->
                        retries.put(retryKey(commit.tokenId(), write.record().machineId()), write.record()));
        if (commit.use() instanceof EnrollmentCommit.NewSingleUseActivation single) {
            activations.put(single.record().activationId(), single.record());
        } else {
            SharedActivation current = shared.get(commit.enrollment().fleet());
            shared.put(
                    commit.enrollment().fleet(),
                    new SharedActivation(
                            current.activationId(),
                            current.sealedCode(),
                            current.expiresAt(),
                            current.registrationLimit(),
                            current.handedOut() + 1,
                            current.createdAt()));
        }
        return CommitResult.COMMITTED;
    }

    @Override
    public boolean enrollmentRecorded(String enrollmentId) {
        return faults.around(Operation.ENROLLMENT_RECORDED, () -> {
            synchronized (this) {
                return enrollments.containsKey(enrollmentId);
            }
        });
    }

    // SharedActivationStore

    @Override
    public Optional<SharedActivation> current(String fleet) {
        return faults.around(Operation.CURRENT, () -> {
            synchronized (this) {
                return Optional.ofNullable(shared.get(fleet));
            }
        });
    }

    @Override
    public boolean acquireLease(String fleet, String owner, Instant now, Instant until) {
        return faults.around(Operation.ACQUIRE_LEASE, () -> {
            synchronized (this) {
                Lease lease = leases.get(fleet);
                if (lease != null && !lease.until().isBefore(now)) {
                    return lease.owner().equals(owner);
                }
                leases.put(fleet, new Lease(owner, until));
                return true;
            }
        });
    }

    @Override
    public void releaseLease(String fleet, String owner) {
        faults.around(Operation.RELEASE_LEASE, () -> {
            synchronized (this) {
                leases.computeIfPresent(fleet, (f, lease) -> lease.owner().equals(owner) ? null : lease);
                return null;
            }
        });
    }

    @Override
    public boolean install(String fleet, Optional<String> replaced, SharedActivation next, ActivationRecord record) {
        return faults.around(Operation.INSTALL, () -> {
            synchronized (this) {
                SharedActivation current = shared.get(fleet);
                boolean stillReplaced = replaced.isPresent()
                        ? current != null && current.activationId().equals(replaced.get())
                        : current == null;
                if (!stillReplaced) {
                    return false;
                }
                shared.put(fleet, next);
                activations.put(record.activationId(), record);
                leases.remove(fleet);
                return true;
            }
        });
    }

    @Override
    public boolean activationRecorded(String activationId) {
        return faults.around(Operation.ACTIVATION_RECORDED, () -> {
            synchronized (this) {
                return activations.containsKey(activationId);
            }
        });
    }

    // RotationStore

    @Override
    public List<ActivationRecord> liveActivations(String fleet) {
        return faults.around(Operation.LIVE_ACTIVATIONS, () -> {
            synchronized (this) {
                return activations.values().stream()
                        .filter(a -> a.fleet().equals(fleet) && !deleted.containsKey(a.activationId()))
                        .sorted(Comparator.comparing(ActivationRecord::createdAt))
                        .toList();
            }
        });
    }

    @Override
    public void markDeleted(String activationId, Instant at) {
        faults.around(Operation.MARK_DELETED, () -> {
            synchronized (this) {
                if (activations.containsKey(activationId)) {
                    deleted.put(activationId, at);
                }
                return null;
            }
        });
    }

    @Override
    public void dropRetryRecords(ActivationRecord activation) {
        faults.around(Operation.DROP_RETRY_RECORDS, () -> {
            synchronized (this) {
                retries.values().removeIf(retry -> retry.activationId().equals(activation.activationId()));
                return null;
            }
        });
    }

    @Override
    public void saveRun(RotationRun run) {
        faults.around(Operation.SAVE_RUN, () -> {
            synchronized (this) {
                lastRun = run;
                return null;
            }
        });
    }

    @Override
    public synchronized Optional<RotationRun> lastRun() {
        return Optional.ofNullable(lastRun);
    }

    // AdminStore

    @Override
    public synchronized Optional<Fleet> storedFleet(String name) {
        return Optional.ofNullable(fleets.get(name));
    }

    @Override
    public synchronized List<Fleet> storedFleets() {
        return fleets.values().stream()
                .sorted(Comparator.comparing(Fleet::name))
                .toList();
    }

    @Override
    public synchronized void putFleet(Fleet fleet, long expectedVersion, Instant now) {
        Fleet stored = fleets.get(fleet.name());
        long storedVersion = stored == null ? 0 : stored.version();
        if (storedVersion != expectedVersion) {
            throw new ConcurrentChangeException(
                    "fleet '" + fleet.name() + "' changed meanwhile; run the command again");
        }
        fleets.put(fleet.name(), fleet);
    }

    @Override
    public synchronized void putToken(EnrollmentToken token) {
        if (tokens.putIfAbsent(token.tokenId(), token) != null) {
            throw new IllegalStateException("token " + token.tokenId() + " exists");
        }
    }

    @Override
    public synchronized Optional<EnrollmentToken> token(String tokenId) {
        return Optional.ofNullable(tokens.get(tokenId));
    }

    @Override
    public synchronized List<EnrollmentToken> tokens(String fleet) {
        return tokens.values().stream()
                .filter(t -> t.fleet().equals(fleet))
                .sorted(Comparator.comparing(EnrollmentToken::createdAt).reversed())
                .toList();
    }

    @Override
    public synchronized boolean revokeToken(String tokenId, Instant now) {
        EnrollmentToken token = tokens.get(tokenId);
        if (token == null) {
            return false;
        }
        tokens.put(
                tokenId,
                new EnrollmentToken(
                        token.tokenId(),
                        token.fleet(),
                        token.secretHash(),
                        token.maxUses(),
                        token.uses(),
                        token.expiresAt(),
                        token.sourceCidrs(),
                        token.description(),
                        true,
                        token.createdAt()));
        return true;
    }

    @Override
    public synchronized List<EnrollmentRecord> enrollments(String fleet, Instant since, int limit) {
        return enrollments.values().stream()
                .filter(e -> e.fleet().equals(fleet) && !e.createdAt().isBefore(since))
                .sorted(Comparator.comparing(EnrollmentRecord::createdAt).reversed())
                .limit(limit)
                .toList();
    }

    @Override
    public synchronized Optional<SharedActivation> sharedActivation(String fleet) {
        return Optional.ofNullable(shared.get(fleet));
    }

    @Override
    public synchronized List<ActivationRecord> activations(String fleet, Instant after) {
        return activations.values().stream()
                .filter(a -> a.fleet().equals(fleet) && !a.expiresAt().isBefore(after))
                .sorted(Comparator.comparing(ActivationRecord::expiresAt))
                .toList();
    }

    // What tests look at

    public synchronized Optional<RetryRecord> retryRecord(String tokenId, String machineId) {
        return Optional.ofNullable(retries.get(retryKey(tokenId, machineId)));
    }

    public synchronized List<EnrollmentRecord> allEnrollments() {
        return new ArrayList<>(enrollments.values());
    }

    public synchronized Optional<ActivationRecord> activationRecord(String activationId) {
        return Optional.ofNullable(activations.get(activationId));
    }

    public synchronized boolean markedDeleted(String activationId) {
        return deleted.containsKey(activationId);
    }

    public synchronized List<RetryRecord> retryRecords() {
        return List.copyOf(retries.values());
    }

    public synchronized boolean leaseHeld(String fleet) {
        return leases.containsKey(fleet);
    }

    /** Replaces what the table remembers of a machine, as if someone had altered the item. */
    public synchronized void putRetryRecord(String tokenId, RetryRecord record) {
        retries.put(retryKey(tokenId, record.machineId()), record);
    }

    /** Replaces a fleet's shared activation as it is stored, as if time or other machines had worn it out. */
    public synchronized void putSharedActivation(String fleet, SharedActivation activation) {
        shared.put(fleet, activation);
    }

    private static EnrollmentToken withUses(EnrollmentToken token, int uses) {
        return new EnrollmentToken(
                token.tokenId(),
                token.fleet(),
                token.secretHash(),
                token.maxUses(),
                uses,
                token.expiresAt(),
                token.sourceCidrs(),
                token.description(),
                token.revoked(),
                token.createdAt());
    }

    private static String retryKey(String tokenId, String machineId) {
        return tokenId + "/" + machineId;
    }

    private static String failureKey(String scope, String subject, Instant window) {
        return scope + "/" + subject + "/" + window.getEpochSecond();
    }
}
