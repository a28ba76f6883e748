package dev.hybridonboarding.function;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.fasterxml.jackson.jr.ob.JSON;
import dev.hybridonboarding.log.StructuredLog;
import dev.hybridonboarding.registration.Delivery;
import dev.hybridonboarding.registration.Disposition;
import dev.hybridonboarding.registration.QueueMessage;
import dev.hybridonboarding.registration.QueueMessages;
import dev.hybridonboarding.registration.Registrations;
import dev.hybridonboarding.registration.SweepRun;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The registration queue's batches (the queue's event source mapping reports the messages to deliver again as
 * {@code batchItemFailures}), and the sweep's schedule.
 */
public final class RegistrationHandler implements RequestHandler<Map<String, Object>, Map<String, Object>> {

    /** The source the sweep's schedule sends. */
    public static final String SWEEP_SOURCE = "hybrid-onboarding.registration-sweep";
    /** The function's timeout in the template, for callers that invoke the handler without a Lambda context. */
    private static final Duration WITHOUT_CONTEXT = Duration.ofSeconds(60);

    /** How a message is had back after a delay. */
    public interface Redelivery {
        void after(String receiptHandle, Duration delay);
    }

    private final Registrations registrations;
    private final Redelivery redelivery;
    private final StructuredLog log;

    public RegistrationHandler() {
        this(RegistrationEnvironment.forLambda());
    }

    private RegistrationHandler(RegistrationEnvironment environment) {
        this(environment.registrations, environment.queue::retryLater, StructuredLog.stdout());
    }

    public RegistrationHandler(Registrations registrations, Redelivery redelivery, StructuredLog log) {
        this.registrations = registrations;
        this.redelivery = redelivery;
        this.log = log;
    }

    @Override
    public Map<String, Object> handleRequest(Map<String, Object> event, Context context) {
        Instant deadline = Instant.now()
                .plus(context == null ? WITHOUT_CONTEXT : Duration.ofMillis(context.getRemainingTimeInMillis()));
        if (event.get("Records") instanceof List<?> records) {
            return batch(records, deadline);
        }
        if (SWEEP_SOURCE.equals(event.get("source"))) {
            SweepRun run = registrations.sweep(deadline);
            Map<String, Object> summary = new LinkedHashMap<>();
            summary.put("activations", run.activations());
            summary.put("deferredActivations", run.deferredActivations());
            summary.put("instances", run.instances());
            summary.put("enqueued", run.enqueued());
            summary.put("digestsDue", run.digestsDue());
            return summary;
        }
        throw new IllegalArgumentException("neither a batch from the registration queue nor the sweep's tick");
    }

    private Map<String, Object> batch(List<?> records, Instant deadline) {
        List<Delivery> deliveries = new ArrayList<>();
        Map<String, String> receipts = new HashMap<>();
        for (Object item : records) {
            Map<?, ?> record = (Map<?, ?>) item;
            String messageId = String.valueOf(record.get("messageId"));
            receipts.put(messageId, String.valueOf(record.get("receiptHandle")));
            deliveries.add(new Delivery(messageId, read(record.get("body")), receiveCount(record.get("attributes"))));
        }
        Map<String, Disposition> outcome = registrations.handle(deliveries, deadline);
        List<Map<String, String>> failures = new ArrayList<>();
        outcome.forEach((messageId, disposition) -> {
            if (disposition instanceof Disposition.RetryAfter retry) {
                try {
                    redelivery.after(receipts.get(messageId), retry.delay());
                } catch (RuntimeException notChanged) {
                    // It comes back after the queue's visibility timeout instead.
                    log.warn(
                            "registration.redelivery-not-set",
                            "messageId",
                            messageId,
                            "cause",
                            notChanged.getMessage());
                }
                failures.add(Map.of("itemIdentifier", messageId));
            }
        });
        log.info(
                "registration.batch",
                "messages",
                deliveries.size(),
                "settled",
                deliveries.size() - failures.size(),
                "later",
                failures.size());
        return Map.of("batchItemFailures", failures);
    }

    @SuppressWarnings("unchecked")
    private static QueueMessage read(Object body) {
        try {
            Object parsed = body instanceof String text ? JSON.std.anyFrom(text) : null;
            if (parsed instanceof Map<?, ?> envelope) {
                return QueueMessages.read((Map<String, Object>) envelope, Instant.now());
            }
            return new QueueMessage.Unreadable("the message body is not a JSON object");
        } catch (IOException e) {
            return new QueueMessage.Unreadable("the message body is not JSON: " + e.getMessage());
        }
    }

    private static int receiveCount(Object attributes) {
        if (attributes instanceof Map<?, ?> map && map.get("ApproximateReceiveCount") != null) {
            try {
                return Integer.parseInt(String.valueOf(map.get("ApproximateReceiveCount")));
            } catch (NumberFormatException e) {
                return 1;
            }
        }
        return 1;
    }
}
