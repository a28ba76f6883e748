package dev.hybridonboarding.enrollment;

import dev.hybridonboarding.activation.ActivationOwner;
import dev.hybridonboarding.activation.ActivationRejectedException;
import dev.hybridonboarding.activation.ActivationSpec;
import dev.hybridonboarding.activation.Activations;
import dev.hybridonboarding.activation.Handout;
import dev.hybridonboarding.activation.InstanceTags;
import dev.hybridonboarding.activation.IssuedActivation;
import dev.hybridonboarding.activation.UnusedActivations;
import dev.hybridonboarding.log.StructuredLog;
import dev.hybridonboarding.rotation.ActivationRecord;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A single-use enrollment: an activation made for this machine alone, named after it and carrying its tags, good
 * for one registration. It costs three AWS calls: the snapshot read, CreateActivation, and the commit, which spends
 * the token's use only if it is still there. An activation whose commit did not go through is deleted.
 */
final class SingleUseEnrollments {

    /**
     * What must still fit before the deadline when the activation is about to be created, each AWS call taking up
     * to 4 seconds: CreateActivation, the commit and, if that fails, the check and the clean-up.
     */
    static final Duration TIME_BUDGET = Duration.ofSeconds(16);

    private final Activations activations;
    private final ActivationOwner owner;
    private final UnusedActivations unused;
    private final Commits commits;
    private final TokenBoundSeal seal;
    private final Refusals refusals;
    private final Clock clock;
    private final String region;
    private final StructuredLog log;

    SingleUseEnrollments(
            Activations activations,
            ActivationOwner owner,
            Commits commits,
            TokenBoundSeal seal,
            Refusals refusals,
            Clock clock,
            String region,
            StructuredLog log) {
        this.activations = activations;
        this.owner = owner;
        this.unused = new UnusedActivations(activations, log);
        this.commits = commits;
        this.seal = seal;
        this.refusals = refusals;
        this.clock = clock;
        this.region = region;
        this.log = log;
    }

    Outcome enroll(Enrollment e) {
        if (Duration.between(clock.instant(), e.attempt().deadline()).compareTo(TIME_BUDGET) < 0) {
            log.warn("enrollment.out-of-time", "for", "a new activation");
            throw Refusals.tryAgainShortly("the service is busy; try again shortly");
        }
        IssuedActivation issued = create(e);
        EnrollmentCommit commit = EnrollmentCommit.singleUse(
                e.token().tokenId(),
                e.record(issued.activationId(), issued.expiresAt()),
                e.retryWrite(machineId -> new RetryRecord(
                        machineId,
                        e.enrollmentId(),
                        issued.activationId(),
                        seal.seal(
                                issued.code(),
                                e.bearer().secret(),
                                RetryRecord.sealBinding(
                                        e.token().tokenId(),
                                        machineId,
                                        issued.activationId(),
                                        e.request().digest())),
                        RetryRecord.CodeSealing.TOKEN,
                        issued.expiresAt(),
                        e.request().hostname(),
                        e.request().digest())),
                ActivationRecord.singleUse(
                        issued.activationId(), e.fleet().name(), e.enrollmentId(), issued.expiresAt(), e.now()),
                e.now(),
                e.now().plus(Handout.MARGIN));
        Commits.Settled settled = commits.commit(commit);
        if (settled instanceof Commits.Settled.Committed) {
            return new Outcome.Enrolled(
                    EnrollmentResults.issued(e, issued.activationId(), issued.code(), issued.expiresAt(), region, log));
        }
        if (settled instanceof Commits.Settled.Unknown unknown) {
            // A used activation must never be deleted; kept, it carries the fleet's tag for the clean-up to find.
            throw refusals.unavailable(unknown.cause());
        }
        unused.delete(
                issued.activationId(), settled instanceof Commits.Settled.Refused ? "commit-refused" : "commit-failed");
        if (settled instanceof Commits.Settled.Failed failed) {
            throw refusals.unavailable(failed.cause());
        }
        CommitResult reason = ((Commits.Settled.Refused) settled).reason();
        if (reason == CommitResult.MACHINE_ALREADY_ENROLLED) {
            return new Outcome.MachineRaced();
        }
        throw refusals.changedMeanwhile(reason, e.token());
    }

    private IssuedActivation create(Enrollment e) {
        Map<String, String> tags = new LinkedHashMap<>(e.acceptedTags());
        tags.putAll(e.fleet().tags());
        tags.put(InstanceTags.FLEET, e.fleet().name());
        tags.put(InstanceTags.ENROLLMENT_ID, e.enrollmentId());
        tags.putAll(owner.tags());
        ActivationSpec spec = new ActivationSpec(
                e.fleet().instanceRole(),
                1,
                e.fleet().activationExpiry(e.now()),
                e.request().hostname(),
                "Hybrid Onboarding enrollment " + e.enrollmentId() + " of fleet "
                        + e.fleet().name() + " by token " + e.token().tokenId(),
                tags);
        try {
            return refusals.unlessUnavailable(() -> activations.create(spec));
        } catch (ActivationRejectedException rejected) {
            throw EnrollmentResults.misconfigured(e.fleet(), rejected, log);
        }
    }
}
