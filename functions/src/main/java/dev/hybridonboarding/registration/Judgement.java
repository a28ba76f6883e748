package dev.hybridonboarding.registration;

import dev.hybridonboarding.enrollment.EnrollmentRecord;
import dev.hybridonboarding.fleet.FleetMode;
import java.util.Optional;

/** Whose a registered instance is, as far as the records and its report tell. */
sealed interface Judgement {

    Verdict verdict();

    /**
     * Matched to the enrollment that handed out its activation.
     *
     * @param doubt why the match may be wrong, or empty when it is sure
     */
    record Enrolled(EnrollmentRecord enrollment, Optional<String> doubt) implements Judgement {
        @Override
        public Verdict verdict() {
            return doubt.isPresent() ? Verdict.UNSURE : Verdict.ENROLLED;
        }

        boolean shared() {
            return enrollment.mode() == FleetMode.SHARED;
        }
    }

    /** Registered with one of our activations, but matched to no enrollment. */
    record Unmatched(Optional<String> fleet, String why) implements Judgement {
        @Override
        public Verdict verdict() {
            return Verdict.UNSURE;
        }
    }

    /** A single-use activation used by a machine that reports another name than the one that enrolled. */
    record Mismatch(EnrollmentRecord enrollment, String computerName) implements Judgement {
        @Override
        public Verdict verdict() {
            return Verdict.MISMATCH;
        }
    }

    /** Registered with an activation this deployment did not issue. */
    record Unmanaged() implements Judgement {
        @Override
        public Verdict verdict() {
            return Verdict.UNMANAGED;
        }
    }

    /** Registered with an activation another deployment of this product issued; that one handles it. */
    record Foreign(String stackId) implements Judgement {
        @Override
        public Verdict verdict() {
            return Verdict.FOREIGN;
        }
    }
}
