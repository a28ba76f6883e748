package dev.hybridonboarding.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.jr.ob.JSON;
import dev.hybridonboarding.fleet.FleetMode;
import dev.hybridonboarding.rotation.SharedActivation;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.cloudformation.CloudFormationClient;
import software.amazon.awssdk.services.cloudformation.model.Parameter;
import software.amazon.awssdk.services.scheduler.model.GetScheduleResponse;
import software.amazon.awssdk.services.sns.SnsClient;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;

/**
 * The scheduled half of the product on the local stack: the template's schedule runs the rotation function, which
 * keeps shared fleets ready ahead of demand as the emulator clock moves by days, and deletes what is spent and only
 * that.
 */
class RotationIT {

    private static final LocalStack STACK = LocalStack.get();
    private static final RotationWorld WORLD = new RotationWorld(STACK);
    private static SqsClient sqs;
    private static String notices;

    @BeforeAll
    static void subscribeAQueueToTheTopic() {
        sqs = STACK.clients.configure(SqsClient.builder()).build();
        notices = sqs.createQueue(request -> request.queueName(LocalStack.uniqueFleet("rotation-notices")))
                .queueUrl();
        String queueArn = sqs.getQueueAttributes(
                        request -> request.queueUrl(notices).attributeNamesWithStrings("QueueArn"))
                .attributesAsStrings()
                .get("QueueArn");
        try (SnsClient sns = STACK.clients.configure(SnsClient.builder()).build()) {
            sns.subscribe(request -> request.topicArn(STACK.output("NotificationTopicArn"))
                    .protocol("sqs")
                    .endpoint(queueArn));
        }
    }

    @AfterEach
    void realTimeAndNoFaults() {
        STACK.emulator("POST", "clock", Map.of("offsetSeconds", 0));
        STACK.clearFaults();
    }

    @AfterAll
    static void noSecretReachedALog() {
        sqs.close();
        Secrets.assertNoneLogged(STACK.functionLogFiles());
    }

    @Test
    void theTemplatesScheduleRunsTheRotationFunctionAndTheAdminCliShowsTheRun() throws IOException {
        GetScheduleResponse schedule = WORLD.theRotationSchedule();
        try (CloudFormationClient cloudFormation =
                STACK.clients.configure(CloudFormationClient.builder()).build()) {
            String declared = cloudFormation
                    .describeStacks(request -> request.stackName(String.valueOf(STACK.state.get("stackName"))))
                    .stacks()
                    .get(0)
                    .parameters()
                    .stream()
                    .filter(p -> p.parameterKey().equals("RotationSchedule"))
                    .map(Parameter::parameterValue)
                    .findFirst()
                    .orElseThrow();
            assertThat(schedule.scheduleExpression()).isEqualTo(declared);
        }
        String fleet = WORLD.sharedFleet("tick", 10);

        WORLD.tickFor(fleet);

        SharedActivation first = WORLD.current(fleet);
        assertThat(WORLD.inSsm(first.activationId()))
                .as("a new fleet's first activation, ahead of its first machine")
                .isPresent();
        HobRun status = HobRun.of(STACK, "--json", "status", "--fleet", fleet);
        Map<String, Object> shown = status.json();
        assertThat(((List<?>) shown.get("fleets")).get(0)).asString().contains(first.activationId());
        assertThat(shown.get("lastRotationRun")).as(status.out()).isNotNull();

        HobRun rotated = HobRun.of(STACK, "fleet", "rotate", fleet);
        assertThat(rotated.exitCode()).as(rotated.err()).isZero();
        assertThat(WORLD.current(fleet).activationId()).isNotEqualTo(first.activationId());
        assertThat(rotated.out()).contains(WORLD.current(fleet).activationId());
    }

    @Test
    void aSharedFleetRotatesAheadOfExpiryAndEveryMachineEnrolledAcrossItRegisters(@TempDir Path agents)
            throws IOException {
        String fleet = WORLD.sharedFleet("days", 50);
        String token = WORLD.token(fleet, 10);
        ApiResponse first = WORLD.enroll(token, "days-1");
        String old = first.field("activationId");
        String firstMachine = register(agents, "days-1", first);
        SharedActivation before = WORLD.current(fleet);
        Duration life = Duration.between(before.createdAt(), before.expiresAt());

        // Days later, with a little less than a quarter of its life left: due, yet still handed out.
        WORLD.moveClockTo(before.expiresAt().minus(life.dividedBy(4)).plus(Duration.ofHours(1)));
        ApiResponse justBefore = WORLD.enroll(token, "days-2");
        assertThat(justBefore.field("activationId")).isEqualTo(old);
        int createdByEnrollments = WORLD.createActivationsByTheEnrollmentFunction();
        WORLD.tickFor(fleet);

        String next = WORLD.current(fleet).activationId();
        assertThat(next).isNotEqualTo(old);
        ApiResponse after = WORLD.enroll(token, "days-3");
        assertThat(after.field("activationId")).isEqualTo(next);
        assertThat(WORLD.createActivationsByTheEnrollmentFunction())
                .as("CreateActivation calls by enrollments")
                .isEqualTo(createdByEnrollments);
        String secondMachine = register(agents, "days-2", justBefore);
        String thirdMachine = register(agents, "days-3", after);
        assertThat(awaitNotice("activations-rotated", fleet))
                .as("a message to the team")
                .isNotNull();

        WORLD.moveClockAhead(WORLD.gracePeriod.plusMinutes(1));
        WORLD.tickFor(fleet);

        assertThat(WORLD.inSsm(old))
                .as("the replaced activation, after its grace period")
                .isEmpty();
        assertThat(WORLD.liveRecords(fleet)).containsExactly(next);
        assertThat(List.of(firstMachine, secondMachine, thirdMachine))
                .as("machines still registered")
                .allSatisfy(instance ->
                        assertThat(MachineAgent.describe(STACK, instance)).isPresent());
        WORLD.assertTheFleetCanEnroll(fleet);
    }

    @Test
    void aFleetNearItsRegistrationLimitRotatesBeforeAnyMachineWaits() {
        String fleet = WORLD.fleetDueByRegistrations("limit");
        String old = WORLD.current(fleet).activationId();
        int createdByEnrollments = WORLD.createActivationsByTheEnrollmentFunction();

        WORLD.tickFor(fleet);

        String next = WORLD.current(fleet).activationId();
        assertThat(next).isNotEqualTo(old);
        ApiResponse twentieth = WORLD.enroll(WORLD.token(fleet, 1), fleet + "-20");
        assertThat(twentieth.field("activationId")).isEqualTo(next);
        assertThat(WORLD.createActivationsByTheEnrollmentFunction()).isEqualTo(createdByEnrollments);
        assertThat(WORLD.inSsm(old))
                .as("kept for machines that received it just before")
                .isPresent();
        WORLD.assertNothingUnrecorded(fleet);
    }

    @Test
    void spentSingleUseActivationsAreDeletedAndTheirMachinesStayRegistered(@TempDir Path agents) {
        String fleet = LocalStack.uniqueFleet("leftovers");
        STACK.fleets.create(fleet, FleetMode.SINGLE_USE, f -> f);
        String token = WORLD.token(fleet, 5);
        ApiResponse used = WORLD.enroll(token, "left-1");
        String machine = register(agents, "left-1", used);
        ApiResponse unused = WORLD.enroll(token, "left-2");

        WORLD.tickFor(fleet);

        assertThat(WORLD.inSsm(used.field("activationId")))
                .as("the used activation")
                .isEmpty();
        assertThat(WORLD.inSsm(unused.field("activationId")))
                .as("the unused one, still valid")
                .isPresent();
        assertThat(MachineAgent.describe(STACK, machine))
                .as("the machine that used it")
                .isPresent();
        assertThat(WORLD.liveRecords(fleet)).containsExactly(unused.field("activationId"));

        WORLD.moveClockTo(Instant.parse(unused.field("expiresAt")).plus(WORLD.interval));
        WORLD.tickFor(fleet);

        assertThat(WORLD.inSsm(unused.field("activationId")))
                .as("the expired activation")
                .isEmpty();
        assertThat(WORLD.liveRecords(fleet)).isEmpty();
        WORLD.assertNothingUnrecorded(fleet);
    }

    @Test
    void activationsThisDeploymentDidNotCreateAreLeftAloneAndItsOwnLeftoversAreNot() {
        String role = STACK.templateFleet.instanceRole();
        String handMade = STACK.ssm
                .createActivation(request -> request.iamRole(role).description("made by hand"))
                .activationId();
        String otherDeployment = STACK.ssm
                .createActivation(request -> request.iamRole(role)
                        .tags(
                                tag -> tag.key("hybrid-onboarding:stack")
                                        .value("arn:aws:cloudformation:us-east-1:123456789012:stack/other/1"),
                                tag -> tag.key("hybrid-onboarding:fleet").value("default")))
                .activationId();
        String crashLeftover = STACK.ssm
                .createActivation(request -> request.iamRole(role)
                        .tags(
                                tag -> tag.key("hybrid-onboarding:stack").value(WORLD.owner.stackId()),
                                tag -> tag.key("hybrid-onboarding:fleet").value("default")))
                .activationId();
        try {
            WORLD.moveClockAhead(Duration.ofDays(2));
            WORLD.tickFor();

            assertThat(WORLD.inSsm(handMade)).as("made by hand, expired").isPresent();
            assertThat(WORLD.inSsm(otherDeployment))
                    .as("another deployment's, expired")
                    .isPresent();
            assertThat(WORLD.inSsm(crashLeftover)).as("ours, recorded nowhere").isEmpty();
            assertThat(WORLD.records.lastRun().orElseThrow().foreign()).isGreaterThanOrEqualTo(2);
        } finally {
            STACK.ssm.deleteActivation(request -> request.activationId(handMade));
            STACK.ssm.deleteActivation(request -> request.activationId(otherDeployment));
        }
    }

    @Test
    void twentyMachinesMeetingAFullActivationWhileTheScheduleRotatesItGetExactlyOneNewActivation() throws Exception {
        String fleet = WORLD.sharedFleet("storm", 25);
        String token = WORLD.token(fleet, 60);
        for (int machine = 1; machine <= 25; machine++) {
            WORLD.enroll(token, "storm-" + machine);
        }
        String full = WORLD.current(fleet).activationId();
        STACK.refillApiThrottle();

        ExecutorService machines = Executors.newFixedThreadPool(20);
        List<Future<Api.Answers>> answers = new ArrayList<>();
        try {
            CompletableFuture<Void> run = CompletableFuture.runAsync(() -> WORLD.tickFor(fleet));
            for (int machine = 26; machine <= 45; machine++) {
                String host = "storm-" + machine;
                answers.add(machines.submit(
                        () -> WORLD.api.enrollAsMachine(token, Api.body(host, "machine-" + host, null))));
            }
            run.get();
        } finally {
            machines.shutdown();
        }

        Set<String> handedOut = new HashSet<>();
        for (Future<Api.Answers> answer : answers) {
            Api.Answers machine = answer.get();
            assertThat(machine.enrolledAsANewMachine())
                    .as(machine.all().toString())
                    .isTrue();
            handedOut.add(machine.last().field("activationId"));
        }
        assertThat(handedOut).as("activations the 20 machines got").hasSize(1).doesNotContain(full);
        assertThat(WORLD.ourActivationsInSsm(fleet))
                .as("the full one and exactly one new one")
                .containsExactlyInAnyOrder(full, handedOut.iterator().next());
        WORLD.assertNothingUnrecorded(fleet);
    }

    private static String register(Path agents, String hostname, ApiResponse enrolled) {
        MachineAgent.Registration registration = new FakeAgent(STACK, agents.resolve(hostname), hostname)
                .register(enrolled.field("activationId"), enrolled.field("activationCode"));
        assertThat(registration.succeeded()).as(registration.output()).isTrue();
        return registration.instanceId();
    }

    /** The first notice of the kind naming the fleet that reaches the topic's queue subscriber, within a minute. */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> awaitNotice(String eventType, String fleet) throws IOException {
        Instant giveUp = Instant.now().plus(Duration.ofMinutes(1));
        while (Instant.now().isBefore(giveUp)) {
            for (Message message : sqs.receiveMessage(request ->
                            request.queueUrl(notices).maxNumberOfMessages(10).waitTimeSeconds(1))
                    .messages()) {
                Map<String, Object> document = JSON.std.mapFrom(
                        (String) JSON.std.mapFrom(message.body()).get("Message"));
                Map<String, Object> metadata = (Map<String, Object>) document.get("metadata");
                if (eventType.equals(metadata.get("eventType"))
                        && String.valueOf(document.get("content")).contains(fleet)) {
                    return document;
                }
            }
        }
        return null;
    }
}
