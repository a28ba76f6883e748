package dev.hybridonboarding.enrollment;

import dev.hybridonboarding.activation.ActivationCode;
import dev.hybridonboarding.activation.ActivationRejectedException;
import dev.hybridonboarding.activation.ActivationServiceUnavailableException;
import dev.hybridonboarding.activation.ActivationSpec;
import dev.hybridonboarding.activation.ActivationStatus;
import dev.hybridonboarding.activation.Activations;
import dev.hybridonboarding.activation.InstanceTags;
import dev.hybridonboarding.activation.IssuedActivation;
import dev.hybridonboarding.activation.SharedCodeVault;
import dev.hybridonboarding.activation.TokenBoundSeal;
import dev.hybridonboarding.fleet.Fleet;
import dev.hybridonboarding.fleet.FleetMode;
import dev.hybridonboarding.log.StructuredLog;
import dev.hybridonboarding.token.BearerToken;
import dev.hybridonboarding.token.EnrollmentToken;
import dev.hybridonboarding.token.RandomIds;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Turns an enrollment token into an SSM activation for one machine.
 *
 * <p>A single-use enrollment costs three AWS calls: one consistent read of everything the decision needs,
 * CreateActivation, and one transaction that spends the token's use only if it is still there. A shared
 * enrollment costs two: the read and the transaction, which also counts the handout against the shared
 * activation's limit. Losing a race in the transaction undoes what was created, so concurrent requests can
 * never spend more uses than a token has.
 */
public final class EnrollmentService {

    /** A machine that receives an activation must still have this long to install the agent and register. */
    public static final Duration HANDOUT_MARGIN = Duration.ofMinutes(10);
    /**
     * What must still fit before the deadline when an activation is about to be created, each AWS call taking up
     * to 4 seconds: CreateActivation, the commit and, if that fails, the check and the clean-up; for a shared one
     * also sealing the code and giving the lease back.
     */
    static final Duration SINGLE_USE_TIME_BUDGET = Duration.ofSeconds(16);
    static final Duration SHARED_INSTALL_TIME_BUDGET = Duration.ofSeconds(24);
    /** How long one request may hold the right to create a fleet's next shared activation. */
    static final Duration INSTALL_LEASE = Duration.ofSeconds(30);
    static final Duration INSTALL_WAIT_STEP = Duration.ofMillis(250);
    static final int INSTALL_WAITS = 12;
    static final Duration RETRY_AFTER_UNAVAILABLE = Duration.ofSeconds(5);
    private static final int MAX_SHARED_ATTEMPTS = 3;
    private static final String INVALID_TOKEN_MESSAGE = "the enrollment token is invalid, expired or revoked";

    private final EnrollmentStore store;
    private final Activations activations;
    private final SharedCodeVault vault;
    private final TokenBoundSeal seal;
    private final Fleet templateFleet;
    private final String region;
    private final FailurePolicy failurePolicy;
    private final Clock clock;
    private final SecureRandom random;
    private final StructuredLog log;

    public EnrollmentService(EnrollmentStore store, Activations activations, SharedCodeVault vault, Fleet templateFleet,
                             String region, FailurePolicy failurePolicy, Clock clock, SecureRandom random, StructuredLog log) {
        this.store = store;
        this.activations = activations;
        this.vault = vault;
        this.seal = new TokenBoundSeal(random);
        this.templateFleet = templateFleet;
        this.region = region;
        this.failurePolicy = failurePolicy;
        this.clock = clock;
        this.random = random;
        this.log = log;
    }

    /**
     * @throws EnrollmentRejectedException for every refusal; nothing is spent or left behind then
     */
    public EnrollmentResult enroll(EnrollmentAttempt attempt) {
        try {
            return enrollOnce(attempt);
        } catch (MachineAlreadyEnrolled raced) {
            // A concurrent request for the same machine won; answering again replays what it got.
            try {
                return enrollOnce(attempt);
            } catch (MachineAlreadyEnrolled again) {
                throw tryAgainShortly("another request for this machine is in progress; try again shortly");
            }
        }
    }

    private EnrollmentResult enrollOnce(EnrollmentAttempt attempt) {
        Instant now = clock.instant();
        EnrollmentRequest request = attempt.request();
        String failureSource = FailurePolicy.failureSource(attempt.sourceIp());
        BearerToken bearer = BearerToken.parse(attempt.bearerToken()).orElseThrow(() -> {
            log.warn("enrollment.rejected", "reason", "malformed-token", "sourceIp", attempt.sourceIp());
            return new EnrollmentRejectedException(EnrollmentFailure.INVALID_TOKEN, INVALID_TOKEN_MESSAGE);
        });

        EnrollmentSnapshot snapshot = unavailableAs503(() -> store.load(new EnrollmentStore.SnapshotKey(bearer.fleet(),
                bearer.tokenId(), request.machineId(), failureSource, failurePolicy.windowStart(now))));
        EnrollmentToken token = authenticate(bearer, snapshot, attempt.sourceIp(), failureSource, now);
        if (!token.allowsSource(attempt.sourceIp())) {
            log.warn("enrollment.rejected", "reason", "source-not-allowed", "tokenId", token.tokenId(), "sourceIp", attempt.sourceIp());
            throw new EnrollmentRejectedException(EnrollmentFailure.SOURCE_NOT_ALLOWED,
                    "this enrollment token may not be used from " + attempt.sourceIp());
        }
        Fleet fleet = resolveFleet(bearer.fleet(), snapshot.storedFleet());

        Optional<RetryRecord> retry = snapshot.retryRecord();
        if (retry.isPresent()) {
            Optional<EnrollmentResult> replayed = replay(retry.get(), bearer, fleet, now);
            if (replayed.isPresent()) {
                return replayed.get();
            }
        }
        if (token.usesLeft() == 0) {
            throw tokenExhausted(token);
        }
        Map<String, String> acceptedTags = acceptedTags(fleet, request.tags());
        String enrollmentId = "enr-" + RandomIds.base32(random, 16);
        Enrollment enrollment = new Enrollment(attempt, bearer, token, fleet, acceptedTags, enrollmentId, now,
                retry.map(RetryRecord::activationId));
        return fleet.mode() == FleetMode.SINGLE_USE ? enrollSingleUse(enrollment) : enrollShared(enrollment, snapshot.sharedActivation());
    }

    /** One enrollment being decided: the request, the token that allows it and the fleet it joins. */
    private record Enrollment(EnrollmentAttempt attempt, BearerToken bearer, EnrollmentToken token, Fleet fleet,
                              Map<String, String> acceptedTags, String enrollmentId, Instant now,
                              Optional<String> replacedRetryActivationId) {

        EnrollmentRequest request() {
            return attempt.request();
        }
    }

    private EnrollmentResult enrollSingleUse(Enrollment e) {
        Map<String, String> tags = new LinkedHashMap<>(e.acceptedTags());
        tags.putAll(e.fleet().tags());
        tags.put(InstanceTags.FLEET, e.fleet().name());
        tags.put(InstanceTags.ENROLLMENT_ID, e.enrollmentId());
        ActivationSpec spec = new ActivationSpec(e.fleet().instanceRole(), 1, expiry(e.now(), e.fleet()),
                e.request().hostname(),
                "Hybrid Onboarding enrollment " + e.enrollmentId() + " of fleet " + e.fleet().name() + " by token " + e.token().tokenId(),
                tags);
        requireTimeFor("a new activation", e.attempt().deadline(), SINGLE_USE_TIME_BUDGET);
        IssuedActivation issued = createActivation(spec, e.fleet());
        Optional<RetryRecord> retry = e.request().machineId().map(machineId -> new RetryRecord(machineId, e.enrollmentId(),
                issued.activationId(),
                seal.seal(issued.code(), e.bearer().secret(), RetryRecord.sealBinding(e.token().tokenId(), machineId, issued.activationId())),
                RetryRecord.CodeSealing.TOKEN, issued.expiresAt(), e.request().hostname()));
        ActivationRecord activationRecord = new ActivationRecord(issued.activationId(), e.fleet().name(), FleetMode.SINGLE_USE,
                Optional.of(e.enrollmentId()), 1, issued.expiresAt(), e.now());
        EnrollmentCommit commit = new EnrollmentCommit(e.token().tokenId(), record(e, issued.activationId(), issued.expiresAt()),
                retry, Optional.of(activationRecord), Optional.empty(), e.now(), e.now().plus(HANDOUT_MARGIN),
                e.replacedRetryActivationId());
        try {
            store.commit(commit);
        } catch (RuntimeException failed) {
            // The commit's answer may be lost while the commit went through, and an SDK retry of a commit that
            // went through is refused by its own first attempt: either way the activation is then in use.
            switch (ownCommitLanded(e.enrollmentId(), issued.activationId())) {
                case LANDED -> {
                    return issued(e, issued.activationId(), issued.code(), issued.expiresAt());
                }
                case NOT_LANDED -> {
                    deleteUnused(issued.activationId(), failed instanceof CommitRejectedException ? "commit-rejected" : "commit-failed");
                    throw failed instanceof CommitRejectedException rejected ? afterLostCommit(rejected, e.token())
                            : failed instanceof StoreUnavailableException unavailable ? serviceUnavailable(unavailable) : failed;
                }
                default -> throw serviceUnavailable(failed);
            }
        }
        return issued(e, issued.activationId(), issued.code(), issued.expiresAt());
    }

    private EnrollmentResult enrollShared(Enrollment e, Optional<SharedActivation> current) {
        for (int attempt = 0; attempt < MAX_SHARED_ATTEMPTS; attempt++) {
            if (attempt > 0) {
                current = unavailableAs503(() -> store.sharedActivation(e.fleet().name()));
            }
            SharedActivation shared = current.filter(a -> a.canHandOut(e.now(), HANDOUT_MARGIN)).orElse(null);
            if (shared == null) {
                Optional<SharedActivation> next = installShared(e.fleet(), current, e.now(), e.attempt().deadline());
                if (next.isEmpty()) {
                    continue;
                }
                shared = next.get();
            }
            SharedActivation handed = shared;
            ActivationCode code = unavailableAs503(() -> vault.open(handed.sealedCode(), e.fleet().name(), handed.activationId()));
            Optional<RetryRecord> retry = e.request().machineId().map(machineId -> new RetryRecord(machineId, e.enrollmentId(),
                    handed.activationId(), handed.sealedCode(), RetryRecord.CodeSealing.VAULT, handed.expiresAt(), e.request().hostname()));
            EnrollmentCommit commit = new EnrollmentCommit(e.token().tokenId(), record(e, handed.activationId(), handed.expiresAt()),
                    retry, Optional.empty(), Optional.of(handed.activationId()), e.now(), e.now().plus(HANDOUT_MARGIN),
                    e.replacedRetryActivationId());
            try {
                store.commit(commit);
                return issued(e, handed.activationId(), code, handed.expiresAt());
            } catch (RuntimeException failed) {
                CommitOutcome outcome = ownCommitLanded(e.enrollmentId(), handed.activationId());
                if (outcome == CommitOutcome.LANDED) {
                    return issued(e, handed.activationId(), code, handed.expiresAt());
                }
                if (outcome == CommitOutcome.UNKNOWN || failed instanceof StoreUnavailableException) {
                    throw serviceUnavailable(failed);
                }
                if (!(failed instanceof CommitRejectedException lost)) {
                    throw failed;
                }
                if (lost.reason() != CommitRejectedException.Reason.SHARED_ACTIVATION_SPENT) {
                    throw afterLostCommit(lost, e.token());
                }
            }
        }
        log.warn("enrollment.shared-contention", "fleet", e.fleet().name(), "tokenId", e.token().tokenId());
        throw tryAgainShortly("the fleet's shared activation is being replaced; try again shortly");
    }

    /**
     * Creates a fresh shared activation and makes it the fleet's current one. Only the request that holds the
     * fleet's installation lease creates one; the others wait for it to appear, so a burst of machines costs
     * SSM one CreateActivation, not one each.
     *
     * @return empty when another request installed a different activation first; the caller re-reads it
     */
    private Optional<SharedActivation> installShared(Fleet fleet, Optional<SharedActivation> replaced, Instant now, Instant deadline) {
        String owner = RandomIds.base32(random, 16);
        if (!unavailableAs503(() -> store.acquireInstallLease(fleet.name(), owner, now, now.plus(INSTALL_LEASE)))) {
            return waitForInstallation(fleet, replaced, deadline);
        }
        // The lease may have been freed by an installation that this request's snapshot predates.
        Optional<SharedActivation> current = unavailableAs503(() -> store.sharedActivation(fleet.name()));
        if (current.isPresent() && !current.map(SharedActivation::activationId).equals(replaced.map(SharedActivation::activationId))
                && current.get().canHandOut(now, HANDOUT_MARGIN)) {
            releaseLeaseQuietly(fleet);
            return Optional.empty();
        }
        Map<String, String> tags = new LinkedHashMap<>(fleet.tags());
        tags.put(InstanceTags.FLEET, fleet.name());
        ActivationSpec spec = new ActivationSpec(fleet.instanceRole(), fleet.registrationLimit(), expiry(now, fleet),
                fleet.name(), "Hybrid Onboarding shared activation of fleet " + fleet.name(), tags);
        IssuedActivation issued;
        try {
            requireTimeFor("a new shared activation", deadline, SHARED_INSTALL_TIME_BUDGET);
            issued = createActivation(spec, fleet);
        } catch (RuntimeException failed) {
            releaseLeaseQuietly(fleet);
            throw failed;
        }
        try {
            byte[] sealed = vault.seal(issued.code(), fleet.name(), issued.activationId());
            SharedActivation next = new SharedActivation(issued.activationId(), sealed, issued.expiresAt(),
                    fleet.registrationLimit(), 0, now);
            ActivationRecord record = new ActivationRecord(issued.activationId(), fleet.name(), FleetMode.SHARED, Optional.empty(),
                    fleet.registrationLimit(), issued.expiresAt(), now);
            boolean installed = store.installSharedActivation(fleet.name(), replaced.map(SharedActivation::activationId), next, record);
            // Refused, it may still be ours: an SDK retry of an installation whose answer was lost meets its own
            // first attempt, and other requests may already be handing that activation out.
            if (installed || ownInstallLanded(fleet, issued.activationId()) == CommitOutcome.LANDED) {
                log.info("shared-activation.installed", "fleet", fleet.name(), "activationId", issued.activationId(),
                        "replaced", replaced.map(SharedActivation::activationId).orElse("none"),
                        "registrationLimit", fleet.registrationLimit(), "expiresAt", issued.expiresAt());
                return Optional.of(next);
            }
            releaseLeaseQuietly(fleet);
            return Optional.empty();
        } catch (RuntimeException failed) {
            // An activation good for a whole fleet must not outlive this request unrecorded, but one whose
            // installation went through although its answer was lost is in use.
            if (ownInstallLanded(fleet, issued.activationId()) == CommitOutcome.LANDED) {
                return unavailableAs503(() -> store.sharedActivation(fleet.name()))
                        .filter(installed -> installed.activationId().equals(issued.activationId()));
            }
            releaseLeaseQuietly(fleet);
            throw failed instanceof ActivationServiceUnavailableException || failed instanceof StoreUnavailableException
                    ? serviceUnavailable(failed) : failed;
        }
    }

    /** Another request is creating the fleet's next shared activation: give it a moment, then use what it made. */
    private Optional<SharedActivation> waitForInstallation(Fleet fleet, Optional<SharedActivation> replaced, Instant deadline) {
        Optional<String> replacedId = replaced.map(SharedActivation::activationId);
        Instant giveUp = deadline.minus(SHARED_INSTALL_TIME_BUDGET);
        for (int wait = 0; wait < INSTALL_WAITS && clock.instant().isBefore(giveUp); wait++) {
            pause(INSTALL_WAIT_STEP);
            Optional<SharedActivation> current = unavailableAs503(() -> store.sharedActivation(fleet.name()));
            if (current.isPresent() && !current.map(SharedActivation::activationId).equals(replacedId)) {
                return Optional.empty();
            }
        }
        throw tryAgainShortly("the fleet's shared activation is being replaced; try again shortly");
    }

    /**
     * The activation a token already gave this machine, if the machine can still register with it: not expired,
     * not used up, still in SSM. A machine reset with {@code -clear} keeps its machine id and comes back after
     * its single-use activation was spent; it gets a new one.
     */
    private Optional<EnrollmentResult> replay(RetryRecord retry, BearerToken bearer, Fleet fleet, Instant now) {
        if (!now.plus(HANDOUT_MARGIN).isBefore(retry.expiresAt())) {
            return Optional.empty();
        }
        ActivationCode code;
        try {
            code = retry.sealing() == RetryRecord.CodeSealing.TOKEN
                    ? seal.open(retry.sealedCode(), bearer.secret(), RetryRecord.sealBinding(bearer.tokenId(), retry.machineId(), retry.activationId()))
                    : unavailableAs503(() -> vault.open(retry.sealedCode(), fleet.name(), retry.activationId()));
        } catch (TokenBoundSeal.SealBrokenException broken) {
            log.error("enrollment.retry-record-unreadable", "enrollmentId", retry.enrollmentId(), "tokenId", bearer.tokenId());
            return Optional.empty();
        }
        Optional<ActivationStatus> status = unavailableAs503(() -> activations.status(retry.activationId()));
        if (status.isEmpty() || !status.get().canRegister()) {
            log.info("enrollment.retry-record-spent", "enrollmentId", retry.enrollmentId(), "activationId", retry.activationId());
            return Optional.empty();
        }
        log.info("enrollment.replayed", "enrollmentId", retry.enrollmentId(), "tokenId", bearer.tokenId(),
                "activationId", retry.activationId());
        return Optional.of(new EnrollmentResult(false, retry.activationId(), code, region, retry.expiresAt(), fleet.name(),
                retry.instanceName(), retry.enrollmentId()));
    }

    /**
     * A valid token always passes. Failures are counted per source and per token id, and past either limit
     * a failing request is told to slow down (429) without another write.
     */
    private EnrollmentToken authenticate(BearerToken bearer, EnrollmentSnapshot snapshot, String sourceIp, String failureSource,
                                         Instant now) {
        EnrollmentToken token = snapshot.token().orElse(null);
        String rejection = token == null ? "unknown-token" : token.rejection(bearer, now);
        if (rejection == null) {
            return token;
        }
        boolean sourceOverLimit = snapshot.sourceFailures() >= failurePolicy.sourceLimit();
        boolean tokenOverLimit = token != null && "wrong-secret".equals(rejection) && snapshot.tokenFailures() >= failurePolicy.tokenLimit();
        if (sourceOverLimit || tokenOverLimit) {
            log.warn("enrollment.slowed-down", "scope", sourceOverLimit ? "source" : "token", "reason", rejection,
                    "tokenId", bearer.tokenId(), "sourceIp", sourceIp);
            throw new EnrollmentRejectedException(EnrollmentFailure.TOO_MANY_FAILURES,
                    "too many failed enrollment attempts; try again later", failurePolicy.retryAfter(now));
        }
        try {
            store.recordFailure(failureSource, token == null ? Optional.empty() : Optional.of(bearer.tokenId()),
                    failurePolicy.windowStart(now), failurePolicy.windowEnd(now));
        } catch (StoreUnavailableException notCounted) {
            log.warn("enrollment.failure-not-counted", "sourceIp", sourceIp, "cause", notCounted.getMessage());
        }
        log.warn("enrollment.rejected", "reason", rejection, "tokenId", bearer.tokenId(), "fleet", bearer.fleet(), "sourceIp", sourceIp);
        throw new EnrollmentRejectedException(EnrollmentFailure.INVALID_TOKEN, INVALID_TOKEN_MESSAGE);
    }

    private Fleet resolveFleet(String name, Optional<Fleet> stored) {
        Fleet fleet = stored.orElse(name.equals(templateFleet.name()) ? templateFleet : null);
        if (fleet == null) {
            log.error("enrollment.rejected", "reason", "fleet-not-found", "fleet", name);
            throw new EnrollmentRejectedException(EnrollmentFailure.FLEET_NOT_FOUND, "fleet '" + name + "' does not exist");
        }
        if (!fleet.enabled()) {
            log.warn("enrollment.rejected", "reason", "fleet-disabled", "fleet", name);
            throw new EnrollmentRejectedException(EnrollmentFailure.FLEET_DISABLED, "fleet '" + name + "' is disabled");
        }
        return fleet;
    }

    private static Map<String, String> acceptedTags(Fleet fleet, Map<String, String> requested) {
        for (String key : requested.keySet()) {
            if (!fleet.acceptsTagKey(key)) {
                throw new EnrollmentRejectedException(EnrollmentFailure.TAG_NOT_ACCEPTED,
                        "fleet '" + fleet.name() + "' does not accept the tag key '" + key + "'"
                                + (fleet.acceptedTagKeys().isEmpty() ? "; it accepts no request tags" : "; it accepts " + fleet.acceptedTagKeys()));
            }
        }
        return requested;
    }

    private IssuedActivation createActivation(ActivationSpec spec, Fleet fleet) {
        try {
            return activations.create(spec);
        } catch (ActivationServiceUnavailableException unavailable) {
            throw serviceUnavailable(unavailable);
        } catch (ActivationRejectedException rejected) {
            log.error("activation.rejected", "fleet", fleet.name(), "instanceRole", fleet.instanceRole(), "cause", rejected.getMessage());
            throw new EnrollmentRejectedException(EnrollmentFailure.FLEET_MISCONFIGURED,
                    "Systems Manager refused the activation for fleet '" + fleet.name() + "'; an administrator must check the fleet's instance role");
        }
    }

    /** Starting to create an activation that could not be committed or cleaned up in time would orphan it. */
    private void requireTimeFor(String what, Instant deadline, Duration budget) {
        if (Duration.between(clock.instant(), deadline).compareTo(budget) < 0) {
            log.warn("enrollment.out-of-time", "for", what);
            throw tryAgainShortly("the service is busy; try again shortly");
        }
    }

    /** Runs one call to the table, SSM or KMS; throttling and outages become a 503 with Retry-After. */
    private <T> T unavailableAs503(Supplier<T> call) {
        try {
            return call.get();
        } catch (StoreUnavailableException | ActivationServiceUnavailableException unavailable) {
            throw serviceUnavailable(unavailable);
        }
    }

    private enum CommitOutcome { LANDED, NOT_LANDED, UNKNOWN }

    /**
     * Whether this request's own commit went through although the call failed. The enrollment id is this
     * request's alone, so finding its record means the commit is ours, whatever the failure said. When that
     * cannot be told, the activation is kept: a used one must never be deleted.
     */
    private CommitOutcome ownCommitLanded(String enrollmentId, String activationId) {
        try {
            if (store.enrollmentRecorded(enrollmentId)) {
                log.info("enrollment.committed-after-all", "enrollmentId", enrollmentId, "activationId", activationId);
                return CommitOutcome.LANDED;
            }
            return CommitOutcome.NOT_LANDED;
        } catch (RuntimeException unknown) {
            log.error("activation.kept-unconfirmed", "activationId", activationId, "enrollmentId", enrollmentId,
                    "cause", unknown.getClass().getSimpleName());
            return CommitOutcome.UNKNOWN;
        }
    }

    /**
     * Whether this request's own installation went through: it recorded the activation in the same transaction.
     * The fleet's current activation is no proof either way, since others may have filled and replaced it
     * already. One that did not go through is deleted; when that cannot be told, it is kept.
     */
    private CommitOutcome ownInstallLanded(Fleet fleet, String activationId) {
        try {
            if (store.activationRecorded(activationId)) {
                log.info("shared-activation.installed-after-all", "fleet", fleet.name(), "activationId", activationId);
                return CommitOutcome.LANDED;
            }
        } catch (RuntimeException unknown) {
            log.error("activation.kept-unconfirmed", "activationId", activationId, "fleet", fleet.name(),
                    "cause", unknown.getClass().getSimpleName());
            return CommitOutcome.UNKNOWN;
        }
        deleteUnused(activationId, "shared-install-failed");
        return CommitOutcome.NOT_LANDED;
    }

    private void deleteUnused(String activationId, String why) {
        try {
            activations.delete(activationId);
            log.info("activation.deleted-unused", "activationId", activationId, "why", why);
        } catch (RuntimeException failed) {
            // The activation outlives this request; it carries the fleet's tag, so it can be found, and expires
            // on its own.
            log.error("activation.delete-failed", "activationId", activationId, "why", why, "cause", failed.getClass().getSimpleName());
        }
    }

    private void releaseLeaseQuietly(Fleet fleet) {
        try {
            store.releaseInstallLease(fleet.name());
        } catch (RuntimeException failed) {
            log.warn("shared-activation.lease-not-released", "fleet", fleet.name(), "cause", failed.getClass().getSimpleName());
        }
    }

    private RuntimeException afterLostCommit(CommitRejectedException lost, EnrollmentToken token) {
        return switch (lost.reason()) {
            case MACHINE_ALREADY_ENROLLED -> new MachineAlreadyEnrolled();
            case TOKEN_INVALIDATED -> {
                log.warn("enrollment.rejected", "reason", "token-invalidated-meanwhile", "tokenId", token.tokenId());
                yield new EnrollmentRejectedException(EnrollmentFailure.INVALID_TOKEN, INVALID_TOKEN_MESSAGE);
            }
            default -> tokenExhausted(token);
        };
    }

    private EnrollmentRejectedException tokenExhausted(EnrollmentToken token) {
        log.warn("enrollment.rejected", "reason", "token-exhausted", "tokenId", token.tokenId(), "maxUses", token.maxUses());
        return new EnrollmentRejectedException(EnrollmentFailure.TOKEN_EXHAUSTED, "the enrollment token has no uses left");
    }

    private EnrollmentRejectedException serviceUnavailable(RuntimeException cause) {
        log.warn("enrollment.unavailable", "cause", cause.getMessage());
        return tryAgainShortly("the service is busy; try again shortly");
    }

    private static EnrollmentRejectedException tryAgainShortly(String message) {
        return new EnrollmentRejectedException(EnrollmentFailure.SERVICE_UNAVAILABLE, message, RETRY_AFTER_UNAVAILABLE);
    }

    /** Whole seconds: the table stores expiry in epoch seconds, and retries must report the same instant. */
    private static Instant expiry(Instant now, Fleet fleet) {
        return now.plus(fleet.activationLifetime()).truncatedTo(ChronoUnit.SECONDS);
    }

    private static void pause(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            throw tryAgainShortly("the service is busy; try again shortly");
        }
    }

    private EnrollmentRecord record(Enrollment e, String activationId, Instant activationExpiresAt) {
        return new EnrollmentRecord(e.enrollmentId(), e.token().tokenId(), e.fleet().name(), e.fleet().mode(),
                e.attempt().sourceIp(), e.attempt().userAgent(), e.request().hostname(), e.request().platform(),
                e.request().machineId(), e.request().tags(), e.acceptedTags(), activationId, activationExpiresAt, e.now());
    }

    private EnrollmentResult issued(Enrollment e, String activationId, ActivationCode code, Instant expiresAt) {
        log.info("enrollment.issued", "enrollmentId", e.enrollmentId(), "tokenId", e.token().tokenId(), "fleet", e.fleet().name(),
                "mode", e.fleet().mode(), "activationId", activationId, "hostname", e.request().hostname(),
                "sourceIp", e.attempt().sourceIp());
        return new EnrollmentResult(true, activationId, code, region, expiresAt, e.fleet().name(), e.request().hostname(), e.enrollmentId());
    }

    /** Signals that a concurrent request enrolled the same machine first. */
    private static final class MachineAlreadyEnrolled extends RuntimeException {
        MachineAlreadyEnrolled() {
            super("machine already enrolled", null, false, false);
        }
    }
}
