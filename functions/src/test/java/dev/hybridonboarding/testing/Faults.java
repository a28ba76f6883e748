package dev.hybridonboarding.testing;

import dev.hybridonboarding.support.DependencyUnavailableException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.EnumMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * What a fake port is told to do on its next calls of an operation: fail before doing anything, do it and lose the
 * answer (what a timeout looks like to the caller), or let something else happen first (a concurrent request).
 * It also counts every call.
 */
public final class Faults<O extends Enum<O>> {

    private enum Kind {
        FAIL,
        LOSE_ANSWER,
        INTERLEAVE
    }

    private record Planned(Kind kind, RuntimeException error, Runnable meanwhile) {}

    private final Map<O, Deque<Planned>> planned;
    private final Map<O, Integer> calls;

    public Faults(Class<O> operations) {
        this.planned = new EnumMap<>(operations);
        this.calls = new EnumMap<>(operations);
    }

    /** How many calls of {@code operation} were made, whatever became of them. */
    public synchronized int calls(O operation) {
        return calls.getOrDefault(operation, 0);
    }

    /** Before the next call of {@code operation} goes ahead, {@code meanwhile} happens, as a concurrent request would. */
    public synchronized void beforeNext(O operation, Runnable meanwhile) {
        planned.computeIfAbsent(operation, o -> new ArrayDeque<>()).add(new Planned(Kind.INTERLEAVE, null, meanwhile));
    }

    /** The next call of {@code operation} fails with {@code error} and does nothing. */
    public synchronized void failNext(O operation, RuntimeException error) {
        planned.computeIfAbsent(operation, o -> new ArrayDeque<>()).add(new Planned(Kind.FAIL, error, null));
    }

    /** The next call of {@code operation} goes through, and its caller hears that the service did not answer. */
    public synchronized void loseAnswerOfNext(O operation) {
        planned.computeIfAbsent(operation, o -> new ArrayDeque<>())
                .add(new Planned(
                        Kind.LOSE_ANSWER,
                        new DependencyUnavailableException(operation + ": the answer was lost", null),
                        null));
    }

    /** Forgets what is still planned. */
    public synchronized void clear() {
        planned.clear();
    }

    /** Runs a call of {@code operation} as the planned faults say. */
    public <T> T around(O operation, Supplier<T> call) {
        Planned next;
        synchronized (this) {
            calls.merge(operation, 1, Integer::sum);
            Deque<Planned> queue = planned.get(operation);
            next = queue == null ? null : queue.poll();
        }
        if (next == null) {
            return call.get();
        }
        if (next.kind() == Kind.INTERLEAVE) {
            next.meanwhile().run();
            return call.get();
        }
        if (next.kind() == Kind.FAIL) {
            throw next.error();
        }
        call.get();
        throw next.error();
    }
}
