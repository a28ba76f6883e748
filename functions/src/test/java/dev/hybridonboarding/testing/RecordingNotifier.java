package dev.hybridonboarding.testing;

import dev.hybridonboarding.notification.Notice;
import dev.hybridonboarding.notification.Notifier;
import java.util.ArrayList;
import java.util.List;

/** The topic, in memory: what was sent, in order. */
public final class RecordingNotifier implements Notifier {

    private final List<Notice> sent = new ArrayList<>();

    @Override
    public synchronized void send(Notice notice) {
        sent.add(notice);
    }

    public synchronized List<Notice> sent() {
        return List.copyOf(sent);
    }
}
