package dev.hybridonboarding.it;

import static dev.hybridonboarding.it.Notifications.ofType;
import static org.assertj.core.api.Assertions.assertThat;

import dev.hybridonboarding.activation.InstanceTags;
import dev.hybridonboarding.notification.NoticeBodies;
import dev.hybridonboarding.token.TokenIssuer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;

/**
 * Every registration on the local stack reaches the registration function through the template's rules and queue:
 * the machine is named, tagged and linked to its enrollment, and announced once (alone, or in its window's digest,
 * which a busy window on this shared stack may choose) however many routes bring it; what this deployment did not
 * issue, or a code used by another machine, raises an alert.
 */
class RegistrationIT {

    private static final String WELCOME = "machine-registered";
    private static final String WELCOMES = "machines-registered-digest";
    private static final String GOODBYE = "machine-deregistered";
    private static final String GOODBYES = "machines-deregistered-digest";
    private static final Duration BOUND = RegisteredMachines.BOUND;

    private static Notifications notifications;
    private final LocalStack stack = LocalStack.get();
    private final Api api = new Api(stack);
    private final RegisteredMachines machines = new RegisteredMachines(stack);

    @BeforeAll
    static void subscribe() {
        notifications = Notifications.subscribe(LocalStack.get(), LocalStack.uniqueFleet("notices"));
    }

    @AfterAll
    static void unsubscribeAndNoSecretReachedALog() {
        notifications.close();
        Secrets.assertNoneLogged(LocalStack.get().functionLogFiles());
    }

    @AfterEach
    void eventsOnRealTimeAndNoFaults() {
        machines.events(true);
        stack.emulator("POST", "clock", Map.of("offsetSeconds", 0));
        stack.clearFaults();
    }

    static Stream<MachineAgent.Kind> agents() {
        return MachineAgent.Kind.available();
    }

    /** Enrolls with the template's single-use fleet as a machine named {@code hostname} does. */
    private ApiResponse enroll(String hostname) {
        TokenIssuer.Issued issued = stack.token(stack.templateFleet.name(), 1);
        ApiResponse enrolled = api.enroll(issued.bearer().reveal(), Api.body(hostname, "machine-" + hostname, null));
        assertThat(enrolled.status()).as(enrolled.toString()).isEqualTo(201);
        Secrets.remember(enrolled.field("activationCode"));
        return enrolled;
    }

    private static String register(MachineAgent agent, String activationId, String code) {
        MachineAgent.Registration registration = agent.register(activationId, code);
        assertThat(registration.succeeded()).as(registration.output()).isTrue();
        return registration.instanceId();
    }

    private static String host(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    @ParameterizedTest
    @MethodSource("agents")
    void aMachineIsNamedTaggedLinkedAndAnnouncedOnceThoughBothRoutesBringIt(MachineAgent.Kind kind, @TempDir Path dir) {
        String hostname = host("welcome");
        ApiResponse enrolled = enroll(hostname);
        String instanceId;
        try (MachineAgent agent = kind.create(stack, dir, hostname)) {
            instanceId = register(agent, enrolled.field("activationId"), enrolled.field("activationCode"));
            agent.startService();
            agent.awaitReport(stack, instanceId);

            Map<String, String> tags = machines.awaitTags(instanceId, t -> t.containsKey(InstanceTags.REGISTERED_AT));
            assertThat(tags)
                    .containsEntry(InstanceTags.NAME, hostname)
                    .containsEntry(InstanceTags.ENROLLMENT_ID, enrolled.field("enrollmentId"));
            Map<String, Object> announced =
                    notifications.await(instanceId, ofType(WELCOME, WELCOMES), BOUND, "welcome");
            machines.awaitBothRoutes(instanceId);

            assertThat(notifications.about(instanceId)).containsExactly(announced);
            assertThat(machines.tagUpdates(instanceId)).isEqualTo(1);
            Map<String, String> context = Notifications.context(announced);
            assertThat(context).containsEntry("schema", NoticeBodies.SCHEMA);
            if (WELCOME.equals(Notifications.eventType(announced))) {
                assertThat(context)
                        .containsEntry("hostname", hostname)
                        .containsEntry("computerName", hostname)
                        .containsEntry("match", "sure")
                        .containsEntry("tag:Name", hostname)
                        .containsKeys("ipAddress", "platform", "registeredAt");
                assertThat(context.get("consoleUrl")).contains("/managed-nodes/" + instanceId + "/");
            }
            Map<String, AttributeValue> enrollment = machines.enrollment(enrolled.field("enrollmentId"));
            assertThat(enrollment.get("instanceId").s()).isEqualTo(instanceId);
            assertThat(enrollment).containsKey("registeredAt");
        }
    }

    @Test
    void aSingleUseCodeUsedByAnotherMachineRaisesAnAlertAndIsNotNamed(@TempDir Path dir) {
        ApiResponse enrolled = enroll(host("ordered"));
        String intruder = host("intruder");
        try (MachineAgent agent = MachineAgent.Kind.FAKE.create(stack, dir, intruder)) {
            String instanceId = register(agent, enrolled.field("activationId"), enrolled.field("activationCode"));
            agent.startService();

            Map<String, Object> alert =
                    notifications.await(instanceId, ofType("registration-mismatch"), BOUND, "mismatch alert");

            assertThat(Notifications.context(alert))
                    .containsEntry("severity", "alert")
                    .containsEntry("computerName", intruder);
            assertThat(machines.awaitTags(instanceId, t -> t.containsKey(InstanceTags.STATUS)))
                    .containsEntry(InstanceTags.STATUS, "mismatch")
                    .doesNotContainKey(InstanceTags.NAME);
        }
    }

    @Test
    void aRegistrationWithAnActivationThisDeploymentDidNotIssueRaisesAnAlertAndIsTaggedUnmanaged(@TempDir Path dir) {
        var created = stack.ssm.createActivation(request -> request.iamRole(stack.output("InstanceRoleName"))
                .registrationLimit(1)
                .description("made by hand, not by Hybrid Onboarding"));
        Secrets.remember(created.activationCode());
        String hostname = host("byhand");
        try (MachineAgent agent = MachineAgent.Kind.FAKE.create(stack, dir, hostname)) {
            String instanceId = register(agent, created.activationId(), created.activationCode());
            agent.startService();

            Map<String, Object> alert =
                    notifications.await(instanceId, ofType("unmanaged-registration"), BOUND, "unmanaged alert");

            assertThat(Notifications.context(alert))
                    .containsEntry("activationId", created.activationId())
                    .containsEntry("computerName", hostname);
            assertThat(machines.awaitTags(instanceId, t -> t.containsKey(InstanceTags.STATUS)))
                    .containsEntry(InstanceTags.STATUS, "unmanaged");
            assertThat(MachineAgent.describe(stack, instanceId))
                    .as("it stays registered: the template's option is off")
                    .isPresent();
            stack.ssm.deregisterManagedInstance(request -> request.instanceId(instanceId));
        } finally {
            stack.ssm.deleteActivation(request -> request.activationId(created.activationId()));
        }
    }

    @Test
    void aDeregistrationIsAnnouncedAndMarksTheEnrollment(@TempDir Path dir) {
        String hostname = host("leaving");
        ApiResponse enrolled = enroll(hostname);
        try (MachineAgent agent = MachineAgent.Kind.FAKE.create(stack, dir, hostname)) {
            String instanceId = register(agent, enrolled.field("activationId"), enrolled.field("activationCode"));
            agent.startService();
            notifications.await(instanceId, ofType(WELCOME, WELCOMES), BOUND, "welcome");

            stack.ssm.deregisterManagedInstance(request -> request.instanceId(instanceId));

            notifications.await(instanceId, ofType(GOODBYE, GOODBYES), BOUND, "goodbye");
            assertThat(machines.awaitEnrollment(enrolled.field("enrollmentId"), e -> e.containsKey("deregisteredAt"))
                            .get("instanceId")
                            .s())
                    .isEqualTo(instanceId);
        }
    }

    @Test
    void aDeregistrationArrivingBeforeItsRegistrationIsHandledAndNothingWelcomesAMachineThatIsGone(@TempDir Path dir) {
        String hostname = host("brief");
        ApiResponse enrolled = enroll(hostname);
        String instanceId;
        machines.events(false);
        try (MachineAgent agent = MachineAgent.Kind.FAKE.create(stack, dir, hostname)) {
            instanceId = register(agent, enrolled.field("activationId"), enrolled.field("activationCode"));
        }
        machines.events(true);

        stack.ssm.deregisterManagedInstance(request -> request.instanceId(instanceId));

        notifications.await(instanceId, ofType(GOODBYE, GOODBYES), BOUND, "goodbye");
        Map<String, AttributeValue> enrollment =
                machines.awaitEnrollment(enrolled.field("enrollmentId"), e -> e.containsKey("deregisteredAt"));
        assertThat(enrollment.get("instanceId").s()).isEqualTo(instanceId);
        assertThat(notifications.about(instanceId)).noneMatch(ofType(WELCOME, WELCOMES));
    }

    @Test
    void aRegistrationWhoseEventsWereAllDroppedIsFoundByTheSweepAndHandledOnce(@TempDir Path dir) {
        String hostname = host("dropped");
        ApiResponse enrolled = enroll(hostname);
        machines.events(false);
        try (MachineAgent agent = MachineAgent.Kind.FAKE.create(stack, dir, hostname)) {
            String instanceId = register(agent, enrolled.field("activationId"), enrolled.field("activationCode"));
            agent.startService();
            agent.awaitReport(stack, instanceId);
            machines.events(true);
            // The sweep leaves registrations to their events for a few minutes; the functions run on the emulator
            // clock.
            stack.emulator("POST", "clock", Map.of("advanceSeconds", 6 * 60));

            Map<String, Object> swept = machines.sweep();

            assertThat(((Number) swept.get("enqueued")).intValue()).isGreaterThanOrEqualTo(1);
            assertThat(machines.awaitTags(instanceId, t -> t.containsKey(InstanceTags.REGISTERED_AT)))
                    .containsEntry(InstanceTags.NAME, hostname);
            Map<String, Object> announced =
                    notifications.await(instanceId, ofType(WELCOME, WELCOMES), BOUND, "welcome");
            if (WELCOME.equals(Notifications.eventType(announced))) {
                assertThat(Notifications.context(announced)).containsEntry("heardThrough", "scheduled sweep");
            }
            machines.sweep();
            assertThat(notifications.about(instanceId)).containsExactly(announced);
            assertThat(machines.tagUpdates(instanceId)).isEqualTo(1);
        }
    }

    @Test
    void throttledTaggingIsRetriedUntilTheInstanceIsTaggedOnceAndNothingGoesToTheDeadLetterQueue(@TempDir Path dir) {
        String hostname = host("throttled");
        ApiResponse enrolled = enroll(hostname);
        // More throttles than the SDK's attempts in one call: the message has to come back through the queue.
        stack.injectFault("ssm.AddTagsToResource", "ThrottlingException", 400, 6);
        try (MachineAgent agent = MachineAgent.Kind.FAKE.create(stack, dir, hostname)) {
            String instanceId = register(agent, enrolled.field("activationId"), enrolled.field("activationCode"));
            agent.startService();

            assertThat(machines.awaitTags(instanceId, t -> t.containsKey(InstanceTags.REGISTERED_AT)))
                    .containsEntry(InstanceTags.NAME, hostname);
            notifications.await(instanceId, ofType(WELCOME, WELCOMES), BOUND, "welcome");
            machines.awaitBothRoutes(instanceId);

            assertThat(machines.tagUpdates(instanceId)).isEqualTo(1);
            assertThat(notifications.about(instanceId)).hasSize(1);
            assertThat(machines.deadLetters()).isZero();
        }
    }

    @Test
    void aMessageNoRouteCouldHaveSentEndsInTheDeadLetterQueueAfterFiveReceives() {
        String marker = "i-" + UUID.randomUUID().toString().replace("-", "").substring(0, 17);
        try (SqsClient sqs = stack.clients.configure(SqsClient.builder()).build()) {
            sqs.sendMessage(request -> request.queueUrl(stack.output("RegistrationQueueUrl"))
                    .messageBody(
                            "{\"source\":\"aws.ssm\",\"detail-type\":\"SSM Managed Instance Registration\",\"detail\":{\"instance-id\":\""
                                    + marker + "\"}}"));

            Message dead = RegisteredMachines.await(
                    () -> sqs
                            .receiveMessage(request -> request.queueUrl(stack.output("RegistrationDeadLetterQueueUrl"))
                                    .maxNumberOfMessages(10)
                                    .messageSystemAttributeNamesWithStrings("ApproximateReceiveCount"))
                            .messages()
                            .stream()
                            .filter(message -> message.body().contains(marker))
                            .findFirst()
                            .orElse(null),
                    found -> found != null,
                    "the unreadable message in the dead-letter queue");
            sqs.deleteMessage(request -> request.queueUrl(stack.output("RegistrationDeadLetterQueueUrl"))
                    .receiptHandle(dead.receiptHandle()));
        }
        assertThat(machines.deadLetters()).isZero();
    }

    @SuppressWarnings("unchecked")
    @Test
    void theDeadLetterQueueIsWatchedByAnAlarmThatTellsTheTopic() {
        Map<String, Object> alarm = stack.deployedResource("RegistrationDeadLetterAlarm");

        assertThat(alarm)
                .as("the deployed stack's RegistrationDeadLetterAlarm")
                .containsEntry("Type", "AWS::CloudWatch::Alarm");
        Map<String, Object> properties = (Map<String, Object>) alarm.get("Properties");
        assertThat(properties)
                .containsEntry("Namespace", "AWS/SQS")
                .containsEntry("MetricName", "ApproximateNumberOfMessagesVisible")
                .containsEntry("AlarmActions", List.of(Map.of("Ref", "NotificationTopic")));
        assertThat(properties.get("Dimensions"))
                .isEqualTo(List.of(Map.of(
                        "Name",
                        "QueueName",
                        "Value",
                        Map.of("Fn::GetAtt", List.of("RegistrationDeadLetterQueue", "QueueName")))));
        Map<String, Object> queue = (Map<String, Object>)
                stack.deployedResource("RegistrationQueue").get("Properties");
        assertThat((Map<String, Object>) queue.get("RedrivePolicy"))
                .containsEntry("maxReceiveCount", 5)
                .containsEntry(
                        "deadLetterTargetArn", Map.of("Fn::GetAtt", List.of("RegistrationDeadLetterQueue", "Arn")));
    }
}
