package dev.hybridonboarding.rotation;

import dev.hybridonboarding.activation.ActivationOwner;
import dev.hybridonboarding.activation.Activations;
import dev.hybridonboarding.fleet.Fleet;
import dev.hybridonboarding.fleet.FleetMode;
import dev.hybridonboarding.log.StructuredLog;
import dev.hybridonboarding.support.DependencyUnavailableException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Deletes what no machine can use any more, and nothing else: single-use activations that were used or expired,
 * shared ones replaced longer ago than the grace period, and activations of ours that a crash left unrecorded.
 * Activations this deployment did not create are only counted. Deleting an activation never deregisters a machine.
 *
 * <p>Every step is safe to repeat: an activation is deleted in SSM before its record is marked deleted, so a run that
 * dies in between leaves a record whose activation SSM no longer lists, which the next run marks.
 */
final class Cleanup {

    /** What a clean-up did. */
    record Counts(int deletedSpent, int deletedReplaced, int deletedOrphans, int foreign, int deferred) {}

    private final RotationStore store;
    private final SharedActivationStore sharedActivations;
    private final Activations activations;
    private final ActivationOwner owner;
    private final RotationPolicy policy;
    private final Clock clock;
    private final StructuredLog log;

    Cleanup(
            RotationStore store,
            SharedActivationStore sharedActivations,
            Activations activations,
            ActivationOwner owner,
            RotationPolicy policy,
            Clock clock,
            StructuredLog log) {
        this.store = store;
        this.sharedActivations = sharedActivations;
        this.activations = activations;
        this.owner = owner;
        this.policy = policy;
        this.clock = clock;
        this.log = log;
    }

    /** A run's tally as it goes. */
    private static final class Tally {
        int spent;
        int replaced;
        int orphans;
        int foreign;
        int deferred;
    }

    Counts run(List<Fleet> fleets, Map<String, ListedActivation> inSsm, Instant listedAt, Instant stopBy) {
        Tally tally = new Tally();
        Set<String> recorded = new HashSet<>();
        // An activation of ours is an orphan only if no fleet's records name it: with a fleet unread, none can be
        // called one.
        boolean everyFleetRead = true;
        for (Fleet fleet : fleets) {
            // Reading a fleet's records is work too: 500 fleets' reads after the stop would outlast the reserve.
            if (!clock.instant().isBefore(stopBy)) {
                tally.deferred++;
                everyFleetRead = false;
                continue;
            }
            List<ActivationRecord> records;
            Optional<String> current;
            try {
                records = new ArrayList<>(store.liveActivations(fleet.name()));
                current =
                        fleet.mode() == FleetMode.SHARED || records.stream().anyMatch(r -> r.mode() == FleetMode.SHARED)
                                ? sharedActivations.current(fleet.name()).map(SharedActivation::activationId)
                                : Optional.empty();
            } catch (DependencyUnavailableException unread) {
                log.warn("rotation.deferred", "fleet", fleet.name(), "cause", unread.getMessage());
                tally.deferred++;
                everyFleetRead = false;
                continue;
            }
            records.forEach(record -> recorded.add(record.activationId()));
            for (ActivationRecord record : records) {
                if (!clock.instant().isBefore(stopBy)) {
                    tally.deferred++;
                    continue;
                }
                cleanUp(record, records, current, inSsm.get(record.activationId()), listedAt, tally);
            }
        }
        for (ListedActivation listed : inSsm.values()) {
            if (recorded.contains(listed.activationId())) {
                continue;
            }
            if (!owner.owns(listed.tags())) {
                tally.foreign++;
            } else if (!everyFleetRead) {
                continue;
            } else if (listed.createdAt().isBefore(listedAt.minus(policy.orphanAge()))) {
                if (!clock.instant().isBefore(stopBy)) {
                    tally.deferred++;
                } else if (delete(listed.activationId(), "orphan", tally)) {
                    tally.orphans++;
                }
            }
        }
        return new Counts(tally.spent, tally.replaced, tally.orphans, tally.foreign, tally.deferred);
    }

    private void cleanUp(
            ActivationRecord record,
            List<ActivationRecord> ofFleet,
            Optional<String> current,
            ListedActivation listed,
            Instant listedAt,
            Tally tally) {
        Instant now = clock.instant();
        if (listed == null) {
            if (record.createdAt().isBefore(listedAt)) {
                forget(record, now, tally);
            }
            return;
        }
        boolean expired = listed.expired() || !now.isBefore(record.expiresAt());
        if (record.mode() == FleetMode.SINGLE_USE) {
            if ((expired || listed.usedUp()) && delete(record.activationId(), expired ? "expired" : "used", tally)) {
                forget(record, now, tally);
                tally.spent++;
            }
            return;
        }
        if (current.filter(record.activationId()::equals).isPresent()) {
            return;
        }
        Instant replacedAt = replacedAt(record, ofFleet);
        if ((expired || !now.isBefore(replacedAt.plus(policy.gracePeriod())))
                && delete(record.activationId(), "replaced", tally)) {
            forget(record, now, tally);
            tally.replaced++;
        }
    }

    /** A shared activation was replaced when the fleet's next one was created. */
    private static Instant replacedAt(ActivationRecord record, List<ActivationRecord> ofFleet) {
        return ofFleet.stream()
                .filter(other ->
                        other.mode() == FleetMode.SHARED && other.createdAt().isAfter(record.createdAt()))
                .map(ActivationRecord::createdAt)
                .min(Comparator.naturalOrder())
                .orElse(record.createdAt());
    }

    private boolean delete(String activationId, String why, Tally tally) {
        try {
            activations.delete(activationId);
            log.info("activation.deleted", "activationId", activationId, "why", why);
            return true;
        } catch (DependencyUnavailableException throttled) {
            tally.deferred++;
            return false;
        }
    }

    private void forget(ActivationRecord record, Instant now, Tally tally) {
        try {
            store.dropRetryRecords(record);
            store.markDeleted(record.activationId(), now);
        } catch (DependencyUnavailableException throttled) {
            tally.deferred++;
        }
    }
}
