package dev.hybridonboarding.registration;

import java.time.Instant;

/** What one message on the registration queue asks for, once read. */
public sealed interface QueueMessage {

    /** A managed instance came or went. */
    record Change(RegistrationEvent event) implements QueueMessage {}

    /** The digest of a window is due: its window has ended, and every registration it replaced can be summed up. */
    record DigestDue(DigestKind kind, Instant windowStart) implements QueueMessage {}

    /** Something the rules let through that is not ours to act on, e.g. a registration call that failed. */
    record Ignored(String why) implements QueueMessage {}

    /** A message no route we know of could have sent: AWS may have changed the event, and someone should look. */
    record Unreadable(String why) implements QueueMessage {}
}
