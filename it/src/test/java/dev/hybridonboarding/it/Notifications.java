package dev.hybridonboarding.it;

import com.fasterxml.jackson.jr.ob.JSON;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import software.amazon.awssdk.services.sns.SnsClient;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;

/**
 * What the team hears, as a program subscribed to the stack's topic does: an SQS queue with raw delivery, which gets
 * the versioned JSON document of every notice.
 */
final class Notifications implements AutoCloseable {

    private final SqsClient sqs;
    private final SnsClient sns;
    private final String queueUrl;
    private final String subscriptionArn;
    private final List<Map<String, Object>> received = new ArrayList<>();

    private Notifications(SqsClient sqs, SnsClient sns, String queueUrl, String subscriptionArn) {
        this.sqs = sqs;
        this.sns = sns;
        this.queueUrl = queueUrl;
        this.subscriptionArn = subscriptionArn;
    }

    static Notifications subscribe(LocalStack stack, String name) {
        SqsClient sqs = stack.clients.configure(SqsClient.builder()).build();
        SnsClient sns = stack.clients.sns();
        String queueUrl = sqs.createQueue(request -> request.queueName(name)).queueUrl();
        String queueArn = sqs.getQueueAttributes(
                        request -> request.queueUrl(queueUrl).attributeNamesWithStrings("QueueArn"))
                .attributesAsStrings()
                .get("QueueArn");
        String subscription = sns.subscribe(request -> request.topicArn(stack.output("NotificationTopicArn"))
                        .protocol("sqs")
                        .endpoint(queueArn)
                        .attributes(Map.of("RawMessageDelivery", "true")))
                .subscriptionArn();
        return new Notifications(sqs, sns, queueUrl, subscription);
    }

    /** Every document received so far. */
    synchronized List<Map<String, Object>> all() {
        while (true) {
            List<Message> messages = sqs.receiveMessage(
                            request -> request.queueUrl(queueUrl).maxNumberOfMessages(10))
                    .messages();
            if (messages.isEmpty()) {
                return List.copyOf(received);
            }
            for (Message message : messages) {
                try {
                    received.add(JSON.std.mapFrom(message.body()));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                sqs.deleteMessage(request -> request.queueUrl(queueUrl).receiptHandle(message.receiptHandle()));
            }
        }
    }

    /** The documents that are about the instance: its own notices, and digests that name it. */
    List<Map<String, Object>> about(String instanceId) {
        return all().stream().filter(document -> names(document, instanceId)).toList();
    }

    /** Waits for a document about the instance that matches; fails after {@code bound}. */
    Map<String, Object> await(String instanceId, Predicate<Map<String, Object>> matching, Duration bound, String what) {
        Instant deadline = Instant.now().plus(bound);
        while (true) {
            for (Map<String, Object> document : about(instanceId)) {
                if (matching.test(document)) {
                    return document;
                }
            }
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("no " + what + " about " + instanceId + " within " + bound
                        + "; received about it: " + about(instanceId));
            }
            pause();
        }
    }

    @SuppressWarnings("unchecked")
    static Map<String, String> context(Map<String, Object> document) {
        return (Map<String, String>) ((Map<String, Object>) document.get("metadata")).get("additionalContext");
    }

    @SuppressWarnings("unchecked")
    static String eventType(Map<String, Object> document) {
        return String.valueOf(((Map<String, Object>) document.get("metadata")).get("eventType"));
    }

    static Predicate<Map<String, Object>> ofType(String... eventTypes) {
        return document -> Arrays.asList(eventTypes).contains(eventType(document));
    }

    static boolean names(Map<String, Object> document, String instanceId) {
        Map<String, String> context = context(document);
        return instanceId.equals(context.get("instanceId"))
                || Arrays.asList(context.getOrDefault("instanceIds", "").split(","))
                        .contains(instanceId);
    }

    private static void pause() {
        try {
            Thread.sleep(500);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        sns.unsubscribe(request -> request.subscriptionArn(subscriptionArn));
        sqs.deleteQueue(request -> request.queueUrl(queueUrl));
        sqs.close();
        sns.close();
    }
}
