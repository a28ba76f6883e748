package dev.hybridonboarding.it;

import dev.hybridonboarding.aws.TableItems;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import software.amazon.awssdk.services.cloudformation.CloudFormationClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.QueueAttributeName;
import software.amazon.awssdk.services.ssm.model.InvalidResourceIdException;
import software.amazon.awssdk.services.ssm.model.ResourceTypeForTagging;

/** What the registration step did on the local stack, as a test reads it: tags, records, its log and its queues. */
final class RegisteredMachines {

    /** Generous: a loaded machine may take a while to deliver, invoke and retry, and the agent to report. */
    static final Duration BOUND = Duration.ofMinutes(4);

    private final LocalStack stack;

    RegisteredMachines(LocalStack stack) {
        this.stack = stack;
    }

    Map<String, String> tags(String instanceId) {
        Map<String, String> tags = new HashMap<>();
        try {
            stack.ssm
                    .listTagsForResource(request -> request.resourceType(ResourceTypeForTagging.MANAGED_INSTANCE)
                            .resourceId(instanceId))
                    .tagList()
                    .forEach(tag -> tags.put(tag.key(), tag.value()));
        } catch (InvalidResourceIdException gone) {
            // Deregistered: no tags.
        }
        return tags;
    }

    /** Waits until the instance's tags satisfy {@code expected}; fails with what they are after {@link #BOUND}. */
    Map<String, String> awaitTags(String instanceId, Predicate<Map<String, String>> expected) {
        return await(() -> tags(instanceId), expected, "tags of " + instanceId);
    }

    /** AddTagsToResource calls that went through for the instance, as the emulator counted them. */
    @SuppressWarnings("unchecked")
    int tagUpdates(String instanceId) {
        List<Map<String, Object>> instances = (List<Map<String, Object>>)
                stack.emulator("GET", "instances", null).get("instances");
        return instances.stream()
                .filter(i -> instanceId.equals(i.get("InstanceId")))
                .map(i -> ((Number) i.get("TagUpdates")).intValue())
                .findFirst()
                .orElse(-1);
    }

    Map<String, AttributeValue> enrollment(String enrollmentId) {
        return stack.dynamo
                .getItem(request -> request.tableName(stack.table)
                        .key(TableItems.enrollmentKey(enrollmentId))
                        .consistentRead(true))
                .item();
    }

    Map<String, AttributeValue> awaitEnrollment(String enrollmentId, Predicate<Map<String, AttributeValue>> expected) {
        return await(() -> enrollment(enrollmentId), expected, "enrollment " + enrollmentId);
    }

    /** Lines of the registration function's log about the instance with this event, e.g. {@code registration.duplicate}. */
    long logged(String event, String instanceId) {
        try {
            return Files.readAllLines(Path.of(stack.functionLogFile("RegistrationFunction"))).stream()
                    .filter(line -> line.contains("\"event\":\"" + event + "\"") && line.contains(instanceId))
                    .count();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Waits until both routes of the registration were handled, so that nothing more can come of them. */
    void awaitBothRoutes(String instanceId) {
        await(
                () -> logged("registration.handled", instanceId) + logged("registration.duplicate", instanceId),
                count -> count >= 2,
                "both routes of " + instanceId + " handled");
    }

    int deadLetters() {
        try (SqsClient sqs = stack.clients.configure(SqsClient.builder()).build()) {
            Map<QueueAttributeName, String> attributes = sqs.getQueueAttributes(
                            request -> request.queueUrl(stack.output("RegistrationDeadLetterQueueUrl"))
                                    .attributeNames(
                                            QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES,
                                            QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE))
                    .attributes();
            return Integer.parseInt(attributes.get(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES))
                    + Integer.parseInt(attributes.get(QueueAttributeName.APPROXIMATE_NUMBER_OF_MESSAGES_NOT_VISIBLE));
        }
    }

    /** Switches the emulator's event routes: off, a registration reaches no rule, as when EventBridge drops it. */
    void events(boolean on) {
        stack.emulator("POST", "events", Map.of("registration", on, "cloudtrail", on));
    }

    /** One tick of the sweep's schedule, now. */
    Map<String, Object> sweep() {
        String schedule;
        try (CloudFormationClient cloudFormation =
                stack.clients.configure(CloudFormationClient.builder()).build()) {
            schedule = cloudFormation
                    .listStackResourcesPaginator(r -> r.stackName(String.valueOf(stack.state.get("stackName"))))
                    .stackResourceSummaries()
                    .stream()
                    .filter(resource -> "RegistrationFunctionSweep".equals(resource.logicalResourceId()))
                    .findFirst()
                    .orElseThrow(() -> new AssertionError("the stack has no RegistrationFunctionSweep"))
                    .physicalResourceId();
        }
        return stack.tick(schedule);
    }

    static <T> T await(java.util.function.Supplier<T> read, Predicate<T> expected, String what) {
        Instant deadline = Instant.now().plus(BOUND);
        while (true) {
            T value = read.get();
            if (expected.test(value)) {
                return value;
            }
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError(what + " not as expected within " + BOUND + ": " + value);
            }
            try {
                Thread.sleep(500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }
}
