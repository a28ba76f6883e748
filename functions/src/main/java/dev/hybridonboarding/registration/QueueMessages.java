package dev.hybridonboarding.registration;

import dev.hybridonboarding.registration.RegistrationEvent.Change;
import dev.hybridonboarding.registration.RegistrationEvent.Route;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Reads what arrives on the registration queue, defensively: AWS does not document the detail of its SSM events, so
 * the {@code mi-} id is looked for wherever a route has been seen to put it (the {@code resources} ARNs,
 * {@code detail.instance-id} or {@code instanceId}, CloudTrail's {@code responseElements} and
 * {@code requestParameters}). Also writes the messages this product puts on the queue itself, in the same shape.
 */
public final class QueueMessages {

    public static final String SSM_SOURCE = "aws.ssm";
    public static final String OUR_SOURCE = "hybrid-onboarding.registration";
    static final String REGISTRATION = "SSM Managed Instance Registration";
    static final String DEREGISTRATION = "SSM Managed Instance Deregistration";
    static final String CLOUDTRAIL = "AWS API Call via CloudTrail";
    static final String FOUND_BY_SWEEP = "Registration Found By Sweep";
    static final String DIGEST_DUE = "Registration Digest Due";

    private static final Pattern INSTANCE_ID = Pattern.compile("mi-[0-9a-f]{17}");
    private static final Pattern INSTANCE_ARN =
            Pattern.compile("arn:[^:]+:ssm:[^:]*:[^:]*:managed-instance/(mi-[0-9a-f]{17})");
    private static final Pattern ACTIVATION_ID =
            Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");

    private QueueMessages() {}

    /** @param receivedAt the time to assume when the event carries none */
    public static QueueMessage read(Map<String, Object> envelope, Instant receivedAt) {
        String detailType = text(envelope.get("detail-type")).orElse("");
        String source = text(envelope.get("source")).orElse("");
        Map<String, Object> detail = object(envelope.get("detail"));
        if (OUR_SOURCE.equals(source) && DIGEST_DUE.equals(detailType)) {
            return digestDue(detail);
        }
        Optional<Change> change;
        Route route;
        if (CLOUDTRAIL.equals(detailType)) {
            route = Route.CLOUDTRAIL;
            if (detail.get("errorCode") != null) {
                return new QueueMessage.Ignored(
                        "a " + text(detail.get("eventName")).orElse("call") + " that failed: "
                                + text(detail.get("errorCode")).orElse(""));
            }
            change = switch (text(detail.get("eventName")).orElse("")) {
                case "RegisterManagedInstance" -> Optional.of(Change.REGISTERED);
                case "DeregisterManagedInstance" -> Optional.of(Change.DEREGISTERED);
                default -> Optional.empty();
            };
        } else {
            route = OUR_SOURCE.equals(source) ? Route.SWEEP : Route.SSM_EVENT;
            change = switch (detailType) {
                case REGISTRATION, FOUND_BY_SWEEP -> Optional.of(Change.REGISTERED);
                case DEREGISTRATION -> Optional.of(Change.DEREGISTERED);
                default -> Optional.empty();
            };
        }
        if (change.isEmpty()) {
            return new QueueMessage.Unreadable(
                    "no registration or deregistration in an event of type '" + detailType + "' from '" + source + "'");
        }
        Optional<String> instanceId = instanceId(envelope, detail);
        if (instanceId.isEmpty()) {
            return new QueueMessage.Unreadable("no managed instance id in a '" + detailType + "' event");
        }
        Instant time = instant(envelope.get("time"))
                .or(() -> instant(detail.get("eventTime")))
                .orElse(receivedAt);
        return new QueueMessage.Change(
                new RegistrationEvent(change.get(), instanceId.get(), activationId(detail), route, time));
    }

    /** A registration the sweep found, as a message that {@link #read} takes back. */
    public static Map<String, Object> foundBySweep(RegistrationEvent event) {
        Map<String, Object> detail = new LinkedHashMap<>();
        detail.put("instance-id", event.instanceId());
        event.activationId().ifPresent(id -> detail.put("activation-id", id));
        return envelope(FOUND_BY_SWEEP, event.time(), detail);
    }

    /** The message that has a window's digest sent once the window is over. */
    public static Map<String, Object> digestDue(DigestKind kind, Instant windowStart) {
        Map<String, Object> detail = new LinkedHashMap<>();
        detail.put("kind", kind.label());
        detail.put("windowStart", windowStart.toString());
        return envelope(DIGEST_DUE, windowStart, detail);
    }

    private static Map<String, Object> envelope(String detailType, Instant time, Map<String, Object> detail) {
        Map<String, Object> envelope = new LinkedHashMap<>();
        envelope.put("source", OUR_SOURCE);
        envelope.put("detail-type", detailType);
        envelope.put("time", time.toString());
        envelope.put("detail", detail);
        return envelope;
    }

    private static QueueMessage digestDue(Map<String, Object> detail) {
        try {
            return new QueueMessage.DigestDue(
                    DigestKind.parse(text(detail.get("kind")).orElse("")),
                    Instant.parse(text(detail.get("windowStart")).orElse("")));
        } catch (IllegalArgumentException | DateTimeParseException e) {
            return new QueueMessage.Unreadable("a digest message without a kind and window: " + e.getMessage());
        }
    }

    private static Optional<String> instanceId(Map<String, Object> envelope, Map<String, Object> detail) {
        Stream<Object> candidates = Stream.of(
                detail.get("instance-id"),
                detail.get("instanceId"),
                object(detail.get("responseElements")).get("instanceId"),
                object(detail.get("requestParameters")).get("instanceId"));
        Optional<String> named = candidates
                .flatMap(value -> text(value).stream())
                .filter(id -> INSTANCE_ID.matcher(id).matches())
                .findFirst();
        if (named.isPresent()) {
            return named;
        }
        Object resources = envelope.get("resources");
        if (resources instanceof List<?> arns) {
            for (Object arn : arns) {
                Matcher matcher = INSTANCE_ARN.matcher(String.valueOf(arn));
                if (matcher.matches()) {
                    return Optional.of(matcher.group(1));
                }
            }
        }
        return Optional.empty();
    }

    private static Optional<String> activationId(Map<String, Object> detail) {
        return Stream.of(
                        detail.get("activation-id"),
                        detail.get("activationId"),
                        object(detail.get("requestParameters")).get("activationId"))
                .flatMap(value -> text(value).stream())
                .filter(id -> ACTIVATION_ID.matcher(id).matches())
                .findFirst();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> object(Object value) {
        return value instanceof Map<?, ?> map ? (Map<String, Object>) map : Map.of();
    }

    private static Optional<String> text(Object value) {
        return value instanceof String s && !s.isBlank() ? Optional.of(s.trim()) : Optional.empty();
    }

    private static Optional<Instant> instant(Object value) {
        try {
            return text(value).map(Instant::parse);
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }
}
