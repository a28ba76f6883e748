package dev.hybridonboarding.rotation;

import dev.hybridonboarding.notification.Notice;
import dev.hybridonboarding.notification.NoticeKind;
import java.util.ArrayList;
import java.util.List;

/**
 * What the team hears about a run: a message when shared activations were replaced or leftovers of a crash deleted, and
 * an alert for every fleet that could not be rotated. Routine deletions of used single-use activations are only logged.
 */
final class RotationNotices {

    List<Notice> of(RotationRun run) {
        List<Notice> notices = new ArrayList<>();
        String started = run.startedAt().toString();
        if (run.changedAnything()) {
            notices.add(Notice.of(NoticeKind.ACTIVATIONS_ROTATED, started)
                    .title("Activations rotated")
                    .summary(
                            "The scheduled run replaced shared activations before they expired or filled up, and deleted what no machine can use.")
                    .fact(
                            "fleetsRotated",
                            "Fleets rotated",
                            run.rotated().isEmpty() ? "none" : String.join(", ", run.rotated()))
                    .fact("deletedReplaced", "Replaced activations deleted", Integer.toString(run.deletedReplaced()))
                    .fact(
                            "deletedSpent",
                            "Used or expired single-use activations deleted",
                            Integer.toString(run.deletedSpent()))
                    .fact(
                            "deletedOrphans",
                            "Activations left by a crash deleted",
                            Integer.toString(run.deletedOrphans()))
                    .fact("foreign", "Activations of others left alone", Integer.toString(run.foreign()))
                    .fact("runStartedAt", "Run started", started)
                    .thread("rotation")
                    .build());
        }
        run.failed()
                .forEach((fleet, reason) -> notices.add(Notice.of(NoticeKind.ROTATION_FAILED, fleet + "/" + started)
                        .title("Fleet " + fleet + " could not be rotated")
                        .summary("Machines of fleet " + fleet
                                + " cannot enroll once its current activation expires or fills up.")
                        .fact("fleet", "Fleet", fleet)
                        .fact("reason", "Reason", reason)
                        .fact("runStartedAt", "Run started", started)
                        .nextStep("Check the fleet's instance role: hob fleet show " + fleet)
                        .nextStep("Rotate it by hand once fixed: hob fleet rotate " + fleet)
                        .thread("rotation-" + fleet)
                        .build()));
        return notices;
    }
}
