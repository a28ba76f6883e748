package dev.hybridonboarding.rotation;

import dev.hybridonboarding.activation.ActivationOwner;
import dev.hybridonboarding.activation.ActivationRejectedException;
import dev.hybridonboarding.activation.ActivationSpec;
import dev.hybridonboarding.activation.Activations;
import dev.hybridonboarding.activation.Handout;
import dev.hybridonboarding.activation.InstanceTags;
import dev.hybridonboarding.activation.IssuedActivation;
import dev.hybridonboarding.activation.SharedCodeVault;
import dev.hybridonboarding.activation.UnusedActivations;
import dev.hybridonboarding.fleet.Fleet;
import dev.hybridonboarding.log.StructuredLog;
import dev.hybridonboarding.support.DependencyUnavailableException;
import dev.hybridonboarding.support.RandomIds;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Creates a shared fleet's next activation and makes it the current one. Only the holder of the fleet's lease
 * creates one, so a burst of callers costs SSM one CreateActivation, not one each; an activation good for a whole
 * fleet never outlives a failed installation unrecorded, and one whose installation went through is never
 * deleted, even when the answer that said so was lost.
 */
public final class SharedActivationInstaller {

    /** How long one caller may hold the right to create a fleet's next shared activation. */
    public static final Duration LEASE = Duration.ofSeconds(30);
    /**
     * What must still fit before the caller's deadline when an installation starts, each AWS call taking up to 4
     * seconds: CreateActivation, sealing the code, the installation, and if that fails the check and the clean-up.
     */
    public static final Duration TIME_BUDGET = Duration.ofSeconds(24);

    /** What became of an attempt to install a fleet's next activation. */
    public sealed interface Installation {

        /** This caller installed it. */
        record Installed(SharedActivation activation) implements Installation {}

        /** Another caller installed a newer one than the caller had seen: read the current one again. */
        record Superseded() implements Installation {}

        /** Another caller holds the lease and is creating one now. */
        record InProgressElsewhere() implements Installation {}

        /** Too little time was left to create one and still record or clean it up; nothing was created. */
        record Postponed() implements Installation {}
    }

    private enum Landed {
        YES,
        NO,
        UNKNOWN
    }

    private final SharedActivationStore store;
    private final Activations activations;
    private final SharedCodeVault vault;
    private final ActivationOwner owner;
    private final UnusedActivations unused;
    private final Clock clock;
    private final SecureRandom random;
    private final StructuredLog log;

    public SharedActivationInstaller(
            SharedActivationStore store,
            Activations activations,
            SharedCodeVault vault,
            ActivationOwner owner,
            Clock clock,
            SecureRandom random,
            StructuredLog log) {
        this.store = store;
        this.activations = activations;
        this.vault = vault;
        this.owner = owner;
        this.unused = new UnusedActivations(activations, log);
        this.clock = clock;
        this.random = random;
        this.log = log;
    }

    /**
     * @param replaced the activation the caller found spent or missing; a newer one found meanwhile is left alone
     * @throws DependencyUnavailableException when SSM, the key service or the table failed; nothing is left behind
     *                                        that could not be cleaned up
     * @throws ActivationRejectedException    when SSM refuses the fleet's settings (its instance role)
     */
    public Installation installNext(Fleet fleet, Optional<SharedActivation> replaced, Instant deadline) {
        Instant now = clock.instant();
        String leaseHolder = RandomIds.base32(random, 16);
        if (!store.acquireLease(fleet.name(), leaseHolder, now, now.plus(LEASE))) {
            return new Installation.InProgressElsewhere();
        }
        boolean leaseHeld = true;
        try {
            // The lease may have been given back by an installation that the caller's read predates.
            Optional<SharedActivation> current = store.current(fleet.name());
            if (current.isPresent()
                    && !current.get()
                            .activationId()
                            .equals(replaced.map(SharedActivation::activationId).orElse(null))
                    && current.get().canHandOut(now, Handout.MARGIN)) {
                return new Installation.Superseded();
            }
            if (Duration.between(clock.instant(), deadline).compareTo(TIME_BUDGET) < 0) {
                log.warn("shared-activation.postponed", "fleet", fleet.name(), "reason", "out-of-time");
                return new Installation.Postponed();
            }
            IssuedActivation issued = activations.create(spec(fleet, now, owner));
            SharedActivation next;
            try {
                next = new SharedActivation(
                        issued.activationId(),
                        vault.seal(issued.code(), fleet.name(), issued.activationId()),
                        issued.expiresAt(),
                        fleet.registrationLimit(),
                        0,
                        now);
            } catch (RuntimeException sealFailed) {
                unused.delete(issued.activationId(), "shared-code-not-sealed");
                throw sealFailed;
            }
            Landed landed = install(fleet, replaced, next, now);
            leaseHeld = landed != Landed.YES;
            return landed == Landed.YES ? new Installation.Installed(next) : new Installation.Superseded();
        } finally {
            if (leaseHeld) {
                releaseQuietly(fleet, leaseHolder);
            }
        }
    }

    /**
     * Refused or unanswered, the installation may still be ours: an SDK retry of an installation whose answer was
     * lost meets its own first attempt, and other callers may already be handing that activation out.
     */
    private Landed install(Fleet fleet, Optional<SharedActivation> replaced, SharedActivation next, Instant now) {
        ActivationRecord record = ActivationRecord.shared(
                next.activationId(), fleet.name(), next.registrationLimit(), next.expiresAt(), now);
        boolean installed;
        try {
            installed = store.install(fleet.name(), replaced.map(SharedActivation::activationId), next, record);
        } catch (DependencyUnavailableException failed) {
            if (ownInstallation(fleet, next.activationId()) == Landed.YES) {
                return installed(fleet, replaced, next);
            }
            throw failed;
        }
        if (installed || ownInstallation(fleet, next.activationId()) == Landed.YES) {
            return installed(fleet, replaced, next);
        }
        return Landed.NO;
    }

    private Landed installed(Fleet fleet, Optional<SharedActivation> replaced, SharedActivation next) {
        log.info(
                "shared-activation.installed",
                "fleet",
                fleet.name(),
                "activationId",
                next.activationId(),
                "replaced",
                replaced.map(SharedActivation::activationId).orElse("none"),
                "registrationLimit",
                next.registrationLimit(),
                "expiresAt",
                next.expiresAt());
        return Landed.YES;
    }

    /**
     * The activation record is written in the installation's transaction, so it proves the installation; the
     * fleet's current activation does not, since others may have filled and replaced it already. One that did not
     * go through is deleted; when that cannot be told, it is kept, for a used one must never be deleted.
     */
    private Landed ownInstallation(Fleet fleet, String activationId) {
        try {
            if (store.activationRecorded(activationId)) {
                log.info("shared-activation.installed-after-all", "fleet", fleet.name(), "activationId", activationId);
                return Landed.YES;
            }
        } catch (RuntimeException unknown) {
            log.error(
                    "activation.kept-unconfirmed",
                    "activationId",
                    activationId,
                    "fleet",
                    fleet.name(),
                    "cause",
                    unknown.getClass().getSimpleName());
            return Landed.UNKNOWN;
        }
        unused.delete(activationId, "shared-install-failed");
        return Landed.NO;
    }

    private void releaseQuietly(Fleet fleet, String leaseHolder) {
        try {
            store.releaseLease(fleet.name(), leaseHolder);
        } catch (RuntimeException failed) {
            log.warn(
                    "shared-activation.lease-not-released",
                    "fleet",
                    fleet.name(),
                    "cause",
                    failed.getClass().getSimpleName());
        }
    }

    private static ActivationSpec spec(Fleet fleet, Instant now, ActivationOwner owner) {
        Map<String, String> tags = new LinkedHashMap<>(fleet.tags());
        tags.put(InstanceTags.FLEET, fleet.name());
        tags.putAll(owner.tags());
        return new ActivationSpec(
                fleet.instanceRole(),
                fleet.registrationLimit(),
                fleet.activationExpiry(now),
                fleet.name(),
                "Hybrid Onboarding shared activation of fleet " + fleet.name(),
                tags);
    }
}
