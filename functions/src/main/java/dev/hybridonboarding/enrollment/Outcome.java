package dev.hybridonboarding.enrollment;

/** How one pass of an enrollment ended, when it did not end in a refusal. */
sealed interface Outcome {

    record Enrolled(EnrollmentResult result) implements Outcome {}

    /** A concurrent request for the same token and machine enrolled first; answering again replays what it got. */
    record MachineRaced() implements Outcome {}
}
