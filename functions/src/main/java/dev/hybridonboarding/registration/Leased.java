package dev.hybridonboarding.registration;

/** The answer to asking for the right to handle an instance's change (or a digest) for a while. */
public sealed interface Leased<T> {

    /** Ours until the lease runs out; {@code current} is what the table held when we took it. */
    record Taken<T>(T current) implements Leased<T> {}

    /** Someone else is handling it now. */
    record Held<T>() implements Leased<T> {}

    /** Handled already. */
    record Handled<T>() implements Leased<T> {}
}
