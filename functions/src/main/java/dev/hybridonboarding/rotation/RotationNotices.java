package dev.hybridonboarding.rotation;

import dev.hybridonboarding.notification.Notice;
import dev.hybridonboarding.notification.NoticeKind;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the team hears about a run: a message when shared activations were replaced or leftovers of a crash deleted, and
 * an alert for every fleet that could not be rotated. Routine deletions of used single-use activations are only logged.
 */
final class RotationNotices {

    List<Notice> of(RotationRun run) {
        List<Notice> notices = new ArrayList<>();
        if (run.changedAnything()) {
            Map<String, String> facts = new LinkedHashMap<>();
            facts.put("Fleets rotated", run.rotated().isEmpty() ? "none" : String.join(", ", run.rotated()));
            facts.put("Replaced activations deleted", Integer.toString(run.deletedReplaced()));
            facts.put("Used or expired single-use activations deleted", Integer.toString(run.deletedSpent()));
            facts.put("Activations left by a crash deleted", Integer.toString(run.deletedOrphans()));
            facts.put("Activations of others left alone", Integer.toString(run.foreign()));
            facts.put("Run started", run.startedAt().toString());
            notices.add(new Notice(NoticeKind.ACTIVATIONS_ROTATED, "Activations rotated",
                    "The scheduled run replaced shared activations before they expired or filled up, and deleted what no machine can use.",
                    facts, List.of(), List.of(), "rotation"));
        }
        run.failed().forEach((fleet, reason) -> {
            Map<String, String> facts = new LinkedHashMap<>();
            facts.put("Fleet", fleet);
            facts.put("Reason", reason);
            facts.put("Run started", run.startedAt().toString());
            notices.add(new Notice(NoticeKind.ROTATION_FAILED, "Fleet " + fleet + " could not be rotated",
                    "Machines of fleet " + fleet + " cannot enroll once its current activation expires or fills up.", facts, List.of(),
                    List.of("Check the fleet's instance role: hob fleet show " + fleet,
                            "Rotate it by hand once fixed: hob fleet rotate " + fleet), "rotation-" + fleet));
        });
        return notices;
    }
}
