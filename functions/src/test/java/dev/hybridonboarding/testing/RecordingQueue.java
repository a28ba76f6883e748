package dev.hybridonboarding.testing;

import dev.hybridonboarding.registration.DigestKind;
import dev.hybridonboarding.registration.QueueMessages;
import dev.hybridonboarding.registration.RegistrationEvent;
import dev.hybridonboarding.registration.RegistrationQueue;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The registration queue, in memory: the messages put on it, as JSON-ready maps, with their delays. */
public final class RecordingQueue implements RegistrationQueue {

    /** A message and how long the queue holds it back. */
    public record Sent(Map<String, Object> body, Duration delay) {}

    private final List<Sent> sent = new ArrayList<>();

    @Override
    public synchronized void foundBySweep(List<RegistrationEvent> registrations) {
        registrations.forEach(event -> sent.add(new Sent(QueueMessages.foundBySweep(event), Duration.ZERO)));
    }

    @Override
    public synchronized void digestDue(DigestKind kind, Instant windowStart, Duration delay) {
        sent.add(new Sent(QueueMessages.digestDue(kind, windowStart), delay));
    }

    /** Everything put on the queue since the last call, oldest first. */
    public synchronized List<Sent> take() {
        List<Sent> taken = List.copyOf(sent);
        sent.clear();
        return taken;
    }
}
