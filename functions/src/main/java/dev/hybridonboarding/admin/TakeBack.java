package dev.hybridonboarding.admin;

import dev.hybridonboarding.activation.ActivationStatus;
import dev.hybridonboarding.activation.Activations;
import dev.hybridonboarding.enrollment.EnrollmentRecord;
import dev.hybridonboarding.fleet.Fleet;
import dev.hybridonboarding.fleet.FleetMode;
import dev.hybridonboarding.rotation.ActivationRecord;
import dev.hybridonboarding.rotation.SharedActivation;
import dev.hybridonboarding.rotation.SharedActivationInstaller;
import dev.hybridonboarding.rotation.SharedActivationInstaller.Installation;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Takes back what a revoked token or a disabled fleet handed out and no machine has used yet. A single-use
 * activation nobody registered with is deleted; a shared activation the token received, or the disabled fleet's
 * current one, is deleted after the fleet (if still enabled) got a new one, so the code in the wrong hands stops
 * working. Machines that registered keep running: deleting an activation never deregisters an instance.
 */
public final class TakeBack {

    /** What was taken back. */
    public record Report(
            List<String> deletedSingleUse,
            List<String> registeredAlready,
            List<String> deletedShared,
            Optional<String> newSharedActivation) {

        public boolean nothing() {
            return deletedSingleUse.isEmpty() && deletedShared.isEmpty() && newSharedActivation.isEmpty();
        }
    }

    /** Time the CLI gives an installation, as the function's deadline would. */
    private static final Duration INSTALL_DEADLINE = Duration.ofSeconds(60);

    private final AdminStore store;
    private final Activations activations;
    private final SharedActivationInstaller installer;
    private final Clock clock;

    public TakeBack(AdminStore store, Activations activations, SharedActivationInstaller installer, Clock clock) {
        this.store = store;
        this.activations = activations;
        this.installer = installer;
        this.clock = clock;
    }

    /** After a token was revoked: what its enrollments received that can still register a machine. */
    public Report afterTokenRevoked(String tokenId, Fleet fleet) {
        Instant now = clock.instant();
        Set<String> received = new LinkedHashSet<>();
        for (EnrollmentRecord enrollment :
                store.enrollments(fleet.name(), now.minus(Fleet.MAX_LIFETIME), Integer.MAX_VALUE)) {
            if (enrollment.tokenId().equals(tokenId)
                    && enrollment.activationExpiresAt().isAfter(now)) {
                received.add(enrollment.activationId());
            }
        }
        return takeBack(fleet, received, true);
    }

    /** After a fleet was disabled: every activation of it that can still register a machine. */
    public Report afterFleetDisabled(Fleet fleet) {
        Set<String> live = new LinkedHashSet<>();
        store.activations(fleet.name(), clock.instant()).stream()
                .map(ActivationRecord::activationId)
                .forEach(live::add);
        store.sharedActivation(fleet.name()).map(SharedActivation::activationId).ifPresent(live::add);
        return takeBack(fleet, live, false);
    }

    private Report takeBack(Fleet fleet, Set<String> activationIds, boolean replaceShared) {
        List<String> deletedSingleUse = new ArrayList<>();
        List<String> registered = new ArrayList<>();
        List<String> deletedShared = new ArrayList<>();
        Optional<String> replacement = Optional.empty();
        Optional<SharedActivation> current = store.sharedActivation(fleet.name());
        Set<String> sharedIds = new HashSet<>();
        store.activations(fleet.name(), Instant.EPOCH).stream()
                .filter(record -> record.mode() == FleetMode.SHARED)
                .map(ActivationRecord::activationId)
                .forEach(sharedIds::add);
        current.map(SharedActivation::activationId).ifPresent(sharedIds::add);
        for (String activationId : activationIds) {
            if (!sharedIds.contains(activationId)) {
                Optional<ActivationStatus> status = activations.status(activationId);
                if (status.isEmpty() || status.get().expired()) {
                    continue;
                }
                if (status.get().registrationsCount() > 0) {
                    registered.add(activationId);
                    continue;
                }
                activations.delete(activationId);
                deletedSingleUse.add(activationId);
                continue;
            }
            if (replaceShared
                    && fleet.enabled()
                    && current.isPresent()
                    && current.get().activationId().equals(activationId)) {
                replacement = Optional.of(replace(fleet, current.get()));
            }
            activations.delete(activationId);
            deletedShared.add(activationId);
        }
        return new Report(
                List.copyOf(deletedSingleUse), List.copyOf(registered), List.copyOf(deletedShared), replacement);
    }

    /** The fleet's next shared activation, installed before the current one is deleted so the fleet never has none. */
    private String replace(Fleet fleet, SharedActivation current) {
        Instant deadline = clock.instant().plus(INSTALL_DEADLINE);
        Installation installation = installer.installNext(fleet, Optional.of(current), deadline);
        if (installation instanceof Installation.Installed installed) {
            return installed.activation().activationId();
        }
        throw new IllegalStateException("the fleet's next shared activation could not be created now ("
                + installation.getClass().getSimpleName() + "); run the command again shortly");
    }
}
