package dev.hybridonboarding.rotation;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * What one scheduled run did.
 *
 * @param rotated         fleets whose shared activation was replaced (or first created)
 * @param failed          fleets that could not be rotated, and why
 * @param deletedSpent    single-use activations deleted because they were used or expired
 * @param deletedReplaced shared activations deleted after their grace period (or expiry)
 * @param deletedOrphans  activations of ours that nothing recorded, left by a crash
 * @param foreign         activations in the account that this deployment did not create, left alone
 * @param deferred        pieces of work left for the next run (time ran short, or SSM throttled)
 */
public record RotationRun(
        Instant startedAt,
        Duration took,
        int fleetsChecked,
        List<String> rotated,
        Map<String, String> failed,
        int deletedSpent,
        int deletedReplaced,
        int deletedOrphans,
        int foreign,
        int deferred,
        long ssmCalls) {

    public RotationRun {
        rotated = List.copyOf(rotated);
        failed = Map.copyOf(failed);
    }

    public boolean changedAnything() {
        return !rotated.isEmpty() || deletedReplaced > 0 || deletedOrphans > 0;
    }
}
