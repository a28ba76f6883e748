package dev.hybridonboarding.notification;

/** The port notices leave through: one topic, which email, chat and programs subscribe to. */
public interface Notifier {

    /** @throws dev.hybridonboarding.support.DependencyUnavailableException when the topic throttles or fails */
    void send(Notice notice);
}
