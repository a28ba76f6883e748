package dev.hybridonboarding.enrollment;

import dev.hybridonboarding.log.StructuredLog;
import dev.hybridonboarding.support.DependencyUnavailableException;

/**
 * Commits an enrollment and finds out what became of it even when the answer was lost. The enrollment id is this
 * request's alone, so finding its record means the commit is ours, whatever the failure said: an SDK retry of a
 * commit whose first attempt went through is refused by that attempt.
 */
final class Commits {

    /** What became of a commit, as far as can be told. */
    sealed interface Settled {

        record Committed() implements Settled {}

        /** Nothing was written, because a condition no longer held. */
        record Refused(CommitResult reason) implements Settled {}

        /** The table failed and nothing was written. */
        record Failed(DependencyUnavailableException cause) implements Settled {}

        /** The table failed, and whether the commit went through cannot be told. */
        record Unknown(RuntimeException cause) implements Settled {}
    }

    private final EnrollmentStore store;
    private final StructuredLog log;

    Commits(EnrollmentStore store, StructuredLog log) {
        this.store = store;
        this.log = log;
    }

    Settled commit(EnrollmentCommit commit) {
        try {
            CommitResult result = store.commit(commit);
            if (result == CommitResult.COMMITTED) {
                return new Settled.Committed();
            }
            return switch (landed(commit)) {
                case YES -> new Settled.Committed();
                case NO -> new Settled.Refused(result);
                case UNKNOWN ->
                    new Settled.Unknown(
                            new IllegalStateException("commit refused as " + result + "; its own record unreadable"));
            };
        } catch (DependencyUnavailableException failed) {
            return switch (landed(commit)) {
                case YES -> new Settled.Committed();
                case NO -> new Settled.Failed(failed);
                case UNKNOWN -> new Settled.Unknown(failed);
            };
        }
    }

    private enum Landed {
        YES,
        NO,
        UNKNOWN
    }

    private Landed landed(EnrollmentCommit commit) {
        String enrollmentId = commit.enrollment().enrollmentId();
        try {
            if (store.enrollmentRecorded(enrollmentId)) {
                log.info(
                        "enrollment.committed-after-all",
                        "enrollmentId",
                        enrollmentId,
                        "activationId",
                        commit.enrollment().activationId());
                return Landed.YES;
            }
            return Landed.NO;
        } catch (RuntimeException unknown) {
            log.error(
                    "activation.kept-unconfirmed",
                    "activationId",
                    commit.enrollment().activationId(),
                    "enrollmentId",
                    enrollmentId,
                    "cause",
                    unknown.getClass().getSimpleName());
            return Landed.UNKNOWN;
        }
    }
}
