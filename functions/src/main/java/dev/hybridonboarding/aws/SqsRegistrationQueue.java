package dev.hybridonboarding.aws;

import com.fasterxml.jackson.jr.ob.JSON;
import dev.hybridonboarding.registration.DigestKind;
import dev.hybridonboarding.registration.QueueMessages;
import dev.hybridonboarding.registration.RegistrationEvent;
import dev.hybridonboarding.registration.RegistrationQueue;
import dev.hybridonboarding.support.DependencyUnavailableException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.SendMessageBatchRequestEntry;
import software.amazon.awssdk.services.sqs.model.SendMessageBatchResponse;
import software.amazon.awssdk.services.sqs.model.SqsException;

/**
 * The registration queue: what the product puts on it itself, and how a message is asked for again later
 * ({@code ChangeMessageVisibility}, before the batch reports it as failed).
 */
public final class SqsRegistrationQueue implements RegistrationQueue {

    /** SQS holds a message back at most 15 minutes. */
    static final Duration MAX_DELAY = Duration.ofMinutes(15);

    private static final int MAX_BATCH = 10;

    private final Supplier<SqsClient> sqs;
    private final String queueUrl;

    public SqsRegistrationQueue(Supplier<SqsClient> sqs, String queueUrl) {
        this.sqs = Lazy.of(sqs);
        this.queueUrl = queueUrl;
    }

    @Override
    public void foundBySweep(List<RegistrationEvent> registrations) {
        for (int start = 0; start < registrations.size(); start += MAX_BATCH) {
            List<SendMessageBatchRequestEntry> entries = new ArrayList<>();
            List<RegistrationEvent> batch =
                    registrations.subList(start, Math.min(registrations.size(), start + MAX_BATCH));
            for (int i = 0; i < batch.size(); i++) {
                entries.add(SendMessageBatchRequestEntry.builder()
                        .id(Integer.toString(i))
                        .messageBody(json(QueueMessages.foundBySweep(batch.get(i))))
                        .build());
            }
            SendMessageBatchResponse sent = call(
                    "SendMessageBatch",
                    () -> sqs.get()
                            .sendMessageBatch(
                                    request -> request.queueUrl(queueUrl).entries(entries)));
            if (sent.hasFailed() && !sent.failed().isEmpty()) {
                throw new DependencyUnavailableException(
                        "SendMessageBatch: " + sent.failed().size() + " messages not sent, e.g. "
                                + sent.failed().get(0).code(),
                        null);
            }
        }
    }

    @Override
    public void digestDue(DigestKind kind, Instant windowStart, Duration delay) {
        int seconds = (int) Math.min(
                MAX_DELAY.toSeconds(), Math.max(0, delay.toSeconds() + (delay.toNanosPart() > 0 ? 1 : 0)));
        call(
                "SendMessage",
                () -> sqs.get()
                        .sendMessage(request -> request.queueUrl(queueUrl)
                                .messageBody(json(QueueMessages.digestDue(kind, windowStart)))
                                .delaySeconds(seconds)));
    }

    /** The message comes back after {@code delay} instead of the queue's visibility timeout. */
    public void retryLater(String receiptHandle, Duration delay) {
        int seconds = (int) Math.min(
                Duration.ofHours(12).toSeconds(), Math.max(0, delay.toSeconds() + (delay.toNanosPart() > 0 ? 1 : 0)));
        call(
                "ChangeMessageVisibility",
                () -> sqs.get()
                        .changeMessageVisibility(request -> request.queueUrl(queueUrl)
                                .receiptHandle(receiptHandle)
                                .visibilityTimeout(seconds)));
    }

    private static String json(Map<String, Object> message) {
        try {
            return JSON.std.asString(message);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static <T> T call(String operation, Supplier<T> request) {
        try {
            return request.get();
        } catch (SqsException e) {
            if (AwsErrors.isTransient(e)) {
                throw new DependencyUnavailableException(operation + ": " + AwsErrors.describe(e), e);
            }
            throw new IllegalStateException(operation + " refused: " + AwsErrors.describe(e), e);
        } catch (SdkClientException e) {
            throw new DependencyUnavailableException(operation + ": " + e.getMessage(), e);
        }
    }
}
