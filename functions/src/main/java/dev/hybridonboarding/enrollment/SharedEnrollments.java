package dev.hybridonboarding.enrollment;

import dev.hybridonboarding.activation.ActivationCode;
import dev.hybridonboarding.activation.ActivationRejectedException;
import dev.hybridonboarding.activation.ActivationStatus;
import dev.hybridonboarding.activation.Handout;
import dev.hybridonboarding.activation.RecentActivationStatus;
import dev.hybridonboarding.activation.SharedCodeVault;
import dev.hybridonboarding.log.StructuredLog;
import dev.hybridonboarding.rotation.SharedActivation;
import dev.hybridonboarding.rotation.SharedActivationInstaller;
import dev.hybridonboarding.rotation.SharedActivationInstaller.Installation;
import dev.hybridonboarding.rotation.SharedActivationStore;
import dev.hybridonboarding.support.DependencyUnavailableException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * A shared enrollment: the fleet's current activation, handed out and counted against its limit in the commit. It
 * costs two AWS calls, the snapshot read and the commit, plus, at most once a minute per execution environment, a
 * DescribeActivations to see whether others filled it, and the first time an environment opens the activation's
 * code, one KMS Decrypt. When the current activation is full or near expiry, the request
 * installs the next one itself, as a fallback to the scheduled rotation; while another request does that, it waits.
 */
final class SharedEnrollments {

    static final Duration INSTALL_WAIT_STEP = Duration.ofMillis(250);
    static final int INSTALL_WAITS = 12;
    private static final int MAX_ATTEMPTS = 3;

    private final SharedActivationStore sharedActivations;
    private final SharedActivationInstaller installer;
    private final SharedCodeVault vault;
    private final RecentActivationStatus statuses;
    private final Commits commits;
    private final Refusals refusals;
    private final Clock clock;
    private final String region;
    private final StructuredLog log;

    SharedEnrollments(
            SharedActivationStore sharedActivations,
            SharedActivationInstaller installer,
            SharedCodeVault vault,
            RecentActivationStatus statuses,
            Commits commits,
            Refusals refusals,
            Clock clock,
            String region,
            StructuredLog log) {
        this.sharedActivations = sharedActivations;
        this.installer = installer;
        this.vault = vault;
        this.statuses = statuses;
        this.commits = commits;
        this.refusals = refusals;
        this.clock = clock;
        this.region = region;
        this.log = log;
    }

    Outcome enroll(Enrollment e, Optional<SharedActivation> current) {
        for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
            if (attempt > 0) {
                current = refusals.unlessUnavailable(
                        () -> sharedActivations.current(e.fleet().name()));
            }
            Optional<SharedActivation> usable =
                    current.filter(a -> a.canHandOut(e.now(), Handout.MARGIN) && !usedUpInSsm(a));
            if (usable.isEmpty()) {
                usable = installNext(e, current);
                if (usable.isEmpty()) {
                    continue;
                }
            }
            SharedActivation handed = usable.get();
            ActivationCode code = refusals.unlessUnavailable(
                    () -> vault.open(handed.sealedCode(), e.fleet().name(), handed.activationId()));
            EnrollmentCommit commit = EnrollmentCommit.sharedHandout(
                    e.token().tokenId(),
                    e.record(handed.activationId(), handed.expiresAt()),
                    e.retryWrite(machineId -> new RetryRecord(
                            machineId,
                            e.enrollmentId(),
                            handed.activationId(),
                            handed.sealedCode(),
                            RetryRecord.CodeSealing.VAULT,
                            handed.expiresAt(),
                            e.request().hostname(),
                            e.request().digest())),
                    handed.activationId(),
                    e.now(),
                    e.now().plus(Handout.MARGIN));
            Commits.Settled settled = commits.commit(commit);
            if (settled instanceof Commits.Settled.Committed) {
                return new Outcome.Enrolled(
                        EnrollmentResults.issued(e, handed.activationId(), code, handed.expiresAt(), region, log));
            }
            if (settled instanceof Commits.Settled.Failed failed) {
                throw refusals.unavailable(failed.cause());
            }
            if (settled instanceof Commits.Settled.Unknown unknown) {
                throw refusals.unavailable(unknown.cause());
            }
            CommitResult reason = ((Commits.Settled.Refused) settled).reason();
            if (reason == CommitResult.MACHINE_ALREADY_ENROLLED) {
                return new Outcome.MachineRaced();
            }
            if (reason != CommitResult.SHARED_ACTIVATION_SPENT) {
                throw refusals.changedMeanwhile(reason, e.token());
            }
        }
        log.warn(
                "enrollment.shared-contention",
                "fleet",
                e.fleet().name(),
                "tokenId",
                e.token().tokenId());
        throw Refusals.tryAgainShortly("the fleet's shared activation is being replaced; try again shortly");
    }

    /**
     * Handouts are counted, but someone holding the code can register machines that never asked: what SSM counts
     * decides too. When SSM cannot be asked, the handout count still bounds what is handed out.
     */
    private boolean usedUpInSsm(SharedActivation activation) {
        Optional<ActivationStatus> status;
        try {
            status = statuses.status(activation.activationId());
        } catch (DependencyUnavailableException unknown) {
            log.warn(
                    "shared-activation.status-unknown",
                    "activationId",
                    activation.activationId(),
                    "cause",
                    unknown.getMessage());
            return false;
        }
        if (status.isEmpty()) {
            log.warn("shared-activation.gone-from-ssm", "activationId", activation.activationId());
            return true;
        }
        if (status.get().registrationsCount() > activation.handedOut()) {
            log.warn(
                    "shared-activation.registered-beyond-handouts",
                    "activationId",
                    activation.activationId(),
                    "registrations",
                    status.get().registrationsCount(),
                    "handedOut",
                    activation.handedOut());
        }
        return !status.get().canRegister();
    }

    /** The activation to hand out after installing the next one, or empty when the current one should be read again. */
    private Optional<SharedActivation> installNext(Enrollment e, Optional<SharedActivation> spent) {
        Installation installation;
        try {
            installation = refusals.unlessUnavailable(
                    () -> installer.installNext(e.fleet(), spent, e.attempt().deadline()));
        } catch (ActivationRejectedException rejected) {
            throw EnrollmentResults.misconfigured(e.fleet(), rejected, log);
        }
        if (installation instanceof Installation.Installed installed) {
            return Optional.of(installed.activation());
        }
        if (installation instanceof Installation.InProgressElsewhere) {
            awaitInstallation(e, spent);
            return Optional.empty();
        }
        if (installation instanceof Installation.Postponed) {
            throw Refusals.tryAgainShortly("the service is busy; try again shortly");
        }
        return Optional.empty();
    }

    /** Another request is creating the fleet's next shared activation: give it a moment, then use what it made. */
    private void awaitInstallation(Enrollment e, Optional<SharedActivation> spent) {
        Optional<String> spentId = spent.map(SharedActivation::activationId);
        Instant giveUp = e.attempt().deadline().minus(SharedActivationInstaller.TIME_BUDGET);
        for (int wait = 0; wait < INSTALL_WAITS && clock.instant().isBefore(giveUp); wait++) {
            pause(INSTALL_WAIT_STEP);
            Optional<SharedActivation> current = refusals.unlessUnavailable(
                    () -> sharedActivations.current(e.fleet().name()));
            if (current.isPresent()
                    && !current.map(SharedActivation::activationId).equals(spentId)) {
                return;
            }
        }
        throw Refusals.tryAgainShortly("the fleet's shared activation is being replaced; try again shortly");
    }

    private static void pause(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            throw Refusals.tryAgainShortly("the service is busy; try again shortly");
        }
    }
}
