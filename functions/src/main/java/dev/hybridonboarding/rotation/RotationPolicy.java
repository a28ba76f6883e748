package dev.hybridonboarding.rotation;

import dev.hybridonboarding.activation.Handout;
import java.time.Duration;

/**
 * When the schedule replaces a shared fleet's activation and when it deletes what is spent.
 *
 * @param rotateWhenLifeLeftBelow          share of an activation's life under which it is replaced (0.25: the last quarter)
 * @param rotateWhenRegistrationsLeftBelow share of its registrations under which it is replaced
 * @param gracePeriod                      how long a replaced activation stays valid for machines that just received it
 * @param orphanAge                        how old an activation of ours that nothing records must be before it is taken
 *                                         for the leftover of a crash rather than an enrollment still committing
 */
public record RotationPolicy(
        double rotateWhenLifeLeftBelow,
        double rotateWhenRegistrationsLeftBelow,
        Duration gracePeriod,
        Duration orphanAge) {

    public static final Duration ORPHAN_AGE = Duration.ofMinutes(10);

    public RotationPolicy {
        if (!(rotateWhenLifeLeftBelow > 0 && rotateWhenLifeLeftBelow < 1)
                || !(rotateWhenRegistrationsLeftBelow >= 0 && rotateWhenRegistrationsLeftBelow < 1)) {
            throw new IllegalArgumentException("rotation thresholds are shares between 0 and 1");
        }
        if (gracePeriod.compareTo(Handout.MARGIN) < 0) {
            throw new IllegalArgumentException(
                    "the grace period must be at least the handout margin of " + Handout.MARGIN.toMinutes()
                            + " minutes: a machine handed an activation just before it was replaced must still register with it");
        }
    }
}
