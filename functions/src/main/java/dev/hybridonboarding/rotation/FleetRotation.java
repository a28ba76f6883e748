package dev.hybridonboarding.rotation;

import dev.hybridonboarding.activation.Handout;
import dev.hybridonboarding.fleet.Fleet;
import dev.hybridonboarding.rotation.SharedActivationInstaller.Installation;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * Keeps a shared fleet's activation ready ahead of demand: replaces it while a set share of its life or registrations
 * is still left, so that no machine ever waits for CreateActivation, and creates the first one of a new fleet.
 */
final class FleetRotation {

    /** What became of one fleet. */
    enum Outcome {
        UNCHANGED,
        ROTATED,
        IN_PROGRESS_ELSEWHERE,
        DEFERRED
    }

    private final SharedActivationStore sharedActivations;
    private final SharedActivationInstaller installer;
    private final RotationPolicy policy;
    private final Clock clock;

    FleetRotation(
            SharedActivationStore sharedActivations,
            SharedActivationInstaller installer,
            RotationPolicy policy,
            Clock clock) {
        this.sharedActivations = sharedActivations;
        this.installer = installer;
        this.policy = policy;
        this.clock = clock;
    }

    /**
     * @param inSsm    SSM's list of activations, as read at {@code listedAt}
     * @throws dev.hybridonboarding.activation.ActivationRejectedException when SSM refuses the fleet's settings
     */
    Outcome keepReady(Fleet fleet, Map<String, ListedActivation> inSsm, Instant listedAt, Instant deadline) {
        Optional<SharedActivation> current = sharedActivations.current(fleet.name());
        if (current.isPresent()
                && !due(current.get(), inSsm.get(current.get().activationId()), listedAt, clock.instant())) {
            return Outcome.UNCHANGED;
        }
        Installation installation = installer.installNext(fleet, current, deadline);
        if (installation instanceof Installation.Installed) {
            return Outcome.ROTATED;
        }
        if (installation instanceof Installation.InProgressElsewhere) {
            return Outcome.IN_PROGRESS_ELSEWHERE;
        }
        return installation instanceof Installation.Postponed ? Outcome.DEFERRED : Outcome.UNCHANGED;
    }

    /** When the activation will be replaced, going by its life alone; sooner if machines use up its registrations. */
    Instant rotatesAt(SharedActivation activation) {
        Duration life = Duration.between(activation.createdAt(), activation.expiresAt());
        return activation.expiresAt().minus(Duration.ofMillis((long)
                (life.toMillis() * policy.rotateWhenLifeLeftBelow())));
    }

    private boolean due(SharedActivation activation, ListedActivation listed, Instant listedAt, Instant now) {
        if (!activation.canHandOut(now, Handout.MARGIN) || !now.isBefore(rotatesAt(activation))) {
            return true;
        }
        if (listed == null) {
            // Not in a list read before it existed says nothing; missing from a later one, it was deleted.
            return activation.createdAt().isBefore(listedAt);
        }
        int used = Math.max(activation.handedOut(), listed.registrationsCount());
        int left = activation.registrationLimit() - used;
        return left <= 0 || left < activation.registrationLimit() * policy.rotateWhenRegistrationsLeftBelow();
    }
}
