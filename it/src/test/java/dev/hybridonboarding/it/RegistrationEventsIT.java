package dev.hybridonboarding.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.jr.ob.JSON;
import dev.hybridonboarding.token.TokenIssuer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import software.amazon.awssdk.services.eventbridge.EventBridgeClient;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;

/**
 * A registration puts both event routes on the default bus, in the shape of the sample events in events/, so the
 * registration function can be built and tested against what actually arrives. The agent's registration is all it
 * takes: the events come before the agent's service has reported anything about the machine.
 */
class RegistrationEventsIT {

    private final LocalStack stack = LocalStack.get();

    @AfterAll
    static void noSecretReachedALog() {
        Secrets.assertNoneLogged(LocalStack.get().functionLogFiles());
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> fixture(String name) throws IOException {
        try (InputStream in = RegistrationEventsIT.class.getClassLoader().getResourceAsStream("events/" + name)) {
            return JSON.std.mapFrom(in);
        }
    }

    static Stream<MachineAgent.Kind> agents() {
        return MachineAgent.Kind.available();
    }

    @SuppressWarnings("unchecked")
    @ParameterizedTest
    @MethodSource("agents")
    void aRegistrationReachesRulesOnTheDefaultBusInTheShapeOfTheSamples(MachineAgent.Kind kind, @TempDir Path agentDir)
            throws IOException {
        String name = LocalStack.uniqueFleet("events");
        try (SqsClient sqs = stack.clients.configure(SqsClient.builder()).build();
                EventBridgeClient events =
                        stack.clients.configure(EventBridgeClient.builder()).build()) {
            String queueUrl =
                    sqs.createQueue(request -> request.queueName(name)).queueUrl();
            String queueArn = sqs.getQueueAttributes(
                            request -> request.queueUrl(queueUrl).attributeNamesWithStrings("QueueArn"))
                    .attributesAsStrings()
                    .get("QueueArn");
            events.putRule(
                    request -> request.name(name)
                            .eventPattern(
                                    "{\"source\":[\"aws.ssm\"],\"detail-type\":[\"SSM Managed Instance Registration\",\"AWS API Call via CloudTrail\"]}"));
            events.putTargets(request ->
                    request.rule(name).targets(target -> target.id("queue").arn(queueArn)));
            try {
                TokenIssuer.Issued issued = stack.token(stack.templateFleet.name(), 1);
                ApiResponse enrolled = new Api(stack).enroll(issued.bearer().reveal(), Api.body("evt-01", null, null));
                assertThat(enrolled.status()).as(enrolled.toString()).isEqualTo(201);
                MachineAgent.Registration registration;
                try (MachineAgent agent = kind.create(stack, agentDir, "evt-01")) {
                    registration = agent.register(enrolled.field("activationId"), enrolled.field("activationCode"));
                }
                assertThat(registration.succeeded()).as(registration.output()).isTrue();

                List<Map<String, Object>> received = new ArrayList<>();
                for (int attempt = 0; attempt < 10 && received.size() < 2; attempt++) {
                    for (Message message : sqs.receiveMessage(request -> request.queueUrl(queueUrl)
                                    .maxNumberOfMessages(10)
                                    .waitTimeSeconds(1))
                            .messages()) {
                        received.add(JSON.std.mapFrom(message.body()));
                    }
                }

                Map<String, Object> ssmEvent = received.stream()
                        .filter(e -> "SSM Managed Instance Registration".equals(e.get("detail-type")))
                        .findFirst()
                        .orElseThrow();
                Map<String, Object> sample = fixture("ssm-managed-instance-registration.json");
                assertThat(((Map<String, Object>) ssmEvent.get("detail")).keySet())
                        .isEqualTo(((Map<String, Object>) sample.get("detail")).keySet());
                assertThat((List<String>) ssmEvent.get("resources"))
                        .singleElement()
                        .asString()
                        .endsWith(":managed-instance/" + registration.instanceId());

                Map<String, Object> trail = received.stream()
                        .filter(e -> "AWS API Call via CloudTrail".equals(e.get("detail-type")))
                        .findFirst()
                        .orElseThrow();
                Map<String, Object> trailDetail = (Map<String, Object>) trail.get("detail");
                Map<String, Object> trailSample = (Map<String, Object>)
                        fixture("cloudtrail-register-managed-instance.json").get("detail");
                assertThat(trailDetail.keySet()).containsAll(trailSample.keySet());
                assertThat(trailDetail.get("responseElements"))
                        .isEqualTo(Map.of("instanceId", registration.instanceId()));
                assertThat(JSON.std.asString(trail).contains(enrolled.field("activationCode")))
                        .as("the event carries the code")
                        .isFalse();
                // A consumer of these events cannot read the machine's name from SSM yet: it comes with the first ping.
                assertThat(MachineAgent.describe(stack, registration.instanceId())
                                .orElseThrow()
                                .computerName())
                        .isNull();
            } finally {
                events.removeTargets(request -> request.rule(name).ids("queue"));
                events.deleteRule(request -> request.name(name));
                sqs.deleteQueue(request -> request.queueUrl(queueUrl));
            }
        }
    }
}
