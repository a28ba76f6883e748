package dev.hybridonboarding.function;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import dev.hybridonboarding.aws.AwsClients;
import dev.hybridonboarding.rotation.Rotation;
import dev.hybridonboarding.rotation.RotationRun;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The schedule's tick: one rotation run. A run in which a fleet could not be rotated ends in an error, which the
 * stack's alarm on the function's errors turns into an alert on the topic.
 */
public final class RotationHandler implements RequestHandler<Map<String, Object>, Map<String, Object>> {

    /** The function's timeout in the template, for callers that invoke the handler without a Lambda context. */
    private static final Duration WITHOUT_CONTEXT = Duration.ofMinutes(5);

    private final Rotation rotation;

    public RotationHandler() {
        this(RotationEnvironment.rotation(System.getenv(), AwsClients.forLambda()));
    }

    public RotationHandler(Rotation rotation) {
        this.rotation = rotation;
    }

    @Override
    public Map<String, Object> handleRequest(Map<String, Object> tick, Context context) {
        Duration left = context == null ? WITHOUT_CONTEXT : Duration.ofMillis(context.getRemainingTimeInMillis());
        RotationRun run = rotation.run(Instant.now().plus(left));
        if (!run.failed().isEmpty()) {
            throw new FleetsNotRotatedException(run.failed().keySet());
        }
        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("rotated", run.rotated());
        summary.put("deletedSpent", run.deletedSpent());
        summary.put("deletedReplaced", run.deletedReplaced());
        summary.put("deletedOrphans", run.deletedOrphans());
        summary.put("deferred", run.deferred());
        return summary;
    }

    /** Ends a run in which some fleets could not be rotated; the reasons are in the run's log line and alert. */
    static final class FleetsNotRotatedException extends RuntimeException {
        FleetsNotRotatedException(Collection<String> fleets) {
            super("fleets not rotated: " + String.join(", ", fleets), null, false, false);
        }
    }
}
