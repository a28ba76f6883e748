package dev.hybridonboarding.enrollment;

import dev.hybridonboarding.activation.ActivationOwner;
import dev.hybridonboarding.activation.Activations;
import dev.hybridonboarding.activation.RecentActivationStatus;
import dev.hybridonboarding.activation.SharedCodeVault;
import dev.hybridonboarding.fleet.Fleet;
import dev.hybridonboarding.fleet.FleetMode;
import dev.hybridonboarding.log.StructuredLog;
import dev.hybridonboarding.rotation.SharedActivationInstaller;
import dev.hybridonboarding.rotation.SharedActivationStore;
import dev.hybridonboarding.support.RandomIds;
import dev.hybridonboarding.token.BearerToken;
import dev.hybridonboarding.token.EnrollmentToken;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * Turns an enrollment token into an SSM activation for one machine: authenticates the token, finds the fleet,
 * replays what a retrying machine got before, and otherwise enrolls it as its fleet's mode says. Every refusal is an
 * {@link EnrollmentRejectedException}, and nothing is spent or left behind for it.
 *
 * <p>A single-use enrollment costs three AWS calls (one consistent read of everything the decision needs,
 * CreateActivation, one transaction), a shared one two (the read and the transaction). Losing a race in the
 * transaction undoes what was created, so concurrent requests can never spend more uses than a token has.
 */
public final class EnrollmentService {

    /** The ports an enrollment talks to the world through. */
    public record Ports(
            EnrollmentStore enrollments,
            SharedActivationStore sharedActivations,
            Activations activations,
            SharedCodeVault vault) {}

    /**
     * How this deployment enrolls.
     *
     * @param templateFleet the default fleet the template declares, used until a stored fleet of its name exists
     * @param region        the Region machines register in
     */
    public record Settings(Fleet templateFleet, ActivationOwner owner, String region, FailurePolicy failurePolicy) {}

    /** How long a shared activation's registrations, as SSM counts them, are taken as known. */
    static final Duration SHARED_STATUS_FRESH_FOR = Duration.ofMinutes(1);

    private final EnrollmentStore store;
    private final TokenAuthenticator authenticator;
    private final Replays replays;
    private final SingleUseEnrollments singleUse;
    private final SharedEnrollments shared;
    private final Refusals refusals;
    private final Fleet templateFleet;
    private final FailurePolicy failurePolicy;
    private final Clock clock;
    private final SecureRandom random;
    private final StructuredLog log;

    public EnrollmentService(Ports ports, Settings settings, Clock clock, SecureRandom random, StructuredLog log) {
        Fleet templateFleet = settings.templateFleet();
        String region = settings.region();
        FailurePolicy failurePolicy = settings.failurePolicy();
        this.store = ports.enrollments();
        this.refusals = new Refusals(log);
        TokenBoundSeal seal = new TokenBoundSeal(random);
        Commits commits = new Commits(ports.enrollments(), log);
        this.authenticator = new TokenAuthenticator(ports.enrollments(), failurePolicy, refusals, log);
        this.replays = new Replays(ports.activations(), ports.vault(), seal, refusals, region, log);
        this.singleUse = new SingleUseEnrollments(
                ports.activations(), settings.owner(), commits, seal, refusals, clock, region, log);
        SharedActivationInstaller installer = new SharedActivationInstaller(
                ports.sharedActivations(), ports.activations(), ports.vault(), settings.owner(), clock, random, log);
        this.shared = new SharedEnrollments(
                ports.sharedActivations(),
                installer,
                ports.vault(),
                new RecentActivationStatus(ports.activations(), clock, SHARED_STATUS_FRESH_FOR),
                commits,
                refusals,
                clock,
                region,
                log);
        this.templateFleet = templateFleet;
        this.failurePolicy = failurePolicy;
        this.clock = clock;
        this.random = random;
        this.log = log;
    }

    /** @throws EnrollmentRejectedException for every refusal */
    public EnrollmentResult enroll(EnrollmentAttempt attempt) {
        Outcome outcome = enrollOnce(attempt);
        if (outcome instanceof Outcome.MachineRaced) {
            // A concurrent request for the same machine won; answering again replays what it got.
            outcome = enrollOnce(attempt);
        }
        if (outcome instanceof Outcome.Enrolled enrolled) {
            return enrolled.result();
        }
        throw Refusals.tryAgainShortly("another request for this machine is in progress; try again shortly");
    }

    private Outcome enrollOnce(EnrollmentAttempt attempt) {
        Instant now = clock.instant();
        EnrollmentRequest request = attempt.request();
        BearerToken bearer = BearerToken.parse(attempt.bearerToken())
                .orElseThrow(() -> authenticator.malformed(attempt.requester()));
        EnrollmentSnapshot snapshot = refusals.unlessUnavailable(() -> store.load(new EnrollmentStore.SnapshotKey(
                bearer.fleet(),
                bearer.tokenId(),
                request.machineId(),
                FailurePolicy.failureSource(attempt.requester().sourceIp()),
                failurePolicy.windowStart(now))));
        EnrollmentToken token = authenticator.authenticate(bearer, snapshot, attempt.requester(), now);
        Fleet fleet = resolveFleet(bearer.fleet(), snapshot.storedFleet());

        Optional<RetryRecord> retry = snapshot.retryRecord();
        if (retry.isPresent()) {
            Optional<EnrollmentResult> replayed = replays.replay(retry.get(), request, bearer, fleet, now);
            if (replayed.isPresent()) {
                return new Outcome.Enrolled(replayed.get());
            }
        }
        if (token.usesLeft() == 0) {
            throw refusals.tokenExhausted(token);
        }
        Enrollment enrollment = new Enrollment(
                attempt,
                bearer,
                token,
                fleet,
                acceptedTags(fleet, request.tags()),
                "enr-" + RandomIds.base32(random, 16),
                now,
                retry.map(RetryRecord::activationId));
        return fleet.mode() == FleetMode.SINGLE_USE
                ? singleUse.enroll(enrollment)
                : shared.enroll(enrollment, snapshot.sharedActivation());
    }

    private Fleet resolveFleet(String name, Optional<Fleet> stored) {
        Fleet fleet = stored.orElse(name.equals(templateFleet.name()) ? templateFleet : null);
        if (fleet == null) {
            log.error("enrollment.rejected", "reason", "fleet-not-found", "fleet", name);
            throw new EnrollmentRejectedException(
                    EnrollmentFailure.FLEET_NOT_FOUND, "fleet '" + name + "' does not exist");
        }
        if (!fleet.enabled()) {
            throw refusals.fleetDisabled(name);
        }
        return fleet;
    }

    private static Map<String, String> acceptedTags(Fleet fleet, Map<String, String> requested) {
        fleet.unacceptedTagKey(requested).ifPresent(key -> {
            throw new EnrollmentRejectedException(
                    EnrollmentFailure.TAG_NOT_ACCEPTED,
                    "fleet '" + fleet.name() + "' does not accept the tag key '" + key + "'"
                            + (fleet.acceptedTagKeys().isEmpty()
                                    ? "; it accepts no request tags"
                                    : "; it accepts " + fleet.acceptedTagKeys()));
        });
        return requested;
    }
}
