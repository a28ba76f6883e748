package dev.hybridonboarding.notification;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Something the team should hear about: what happened, the facts that say so, and what to do next.
 *
 * @param facts     label and value, in the order a reader should see them
 * @param resources ARNs of what it is about (instances, activations, functions)
 * @param threadId  notices about the same thing share one (Slack threads them)
 */
public record Notice(NoticeKind kind, String title, String summary, Map<String, String> facts, List<String> resources,
                     List<String> nextSteps, String threadId) {

    public Notice {
        facts = Collections.unmodifiableMap(new LinkedHashMap<>(facts));
        resources = List.copyOf(resources);
        nextSteps = List.copyOf(nextSteps);
    }

    public boolean isAlert() {
        return kind.isAlert();
    }
}
