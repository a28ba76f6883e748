package dev.hybridonboarding.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hybridonboarding.token.TokenIssuer;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import software.amazon.awssdk.services.ssm.model.InstanceInformation;
import software.amazon.awssdk.services.ssm.model.PingStatus;
import software.amazon.awssdk.services.ssm.model.PlatformType;
import software.amazon.awssdk.services.ssm.model.Tag;

/**
 * The first vertical slice: a token buys an activation, the agent registers with it, SSM lists the machine, and once
 * the agent's service pings, SSM knows the machine's name, address and platform. With the fake agent, and with the
 * real one where its binaries are.
 */
class FirstEnrollmentIT {

    private final LocalStack stack = LocalStack.get();
    private final Api api = new Api(stack);

    @AfterAll
    static void noSecretReachedALog() {
        Secrets.assertNoneLogged(LocalStack.get().functionLogFiles());
    }

    static Stream<MachineAgent.Kind> agents() {
        return MachineAgent.Kind.available();
    }

    @ParameterizedTest
    @MethodSource("agents")
    void aMachineEnrollsRegistersAndShowsUpInSsmOnceItsAgentPings(MachineAgent.Kind kind, @TempDir Path agentDir) {
        TokenIssuer.Issued issued = stack.token(stack.templateFleet.name(), 1);
        String hostname = "web-" + kind.name().toLowerCase(Locale.ROOT);

        ApiResponse response =
                api.enroll(issued.bearer().reveal(), Api.body(hostname, "machine-0001-" + kind, Map.of()));

        assertThat(response.status()).as(response.toString()).isEqualTo(201);
        assertThat(response.header("Cache-Control")).isEqualTo("no-store");
        assertThat(response.field("region")).isEqualTo(stack.region);
        assertThat(response.field("fleet")).isEqualTo(stack.templateFleet.name());
        assertThat(response.field("instanceName")).isEqualTo(hostname);
        assertThat(response.field("enrollmentId")).startsWith("enr-");
        assertThat(response.field("activationId"))
                .matches("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
        assertThat(response.field("expiresAt")).isNotBlank();

        MachineAgent agent = kind.create(stack, agentDir, hostname);
        try (agent) {
            MachineAgent.Registration registration =
                    agent.register(response.field("activationId"), response.field("activationCode"));

            assertThat(registration.succeeded()).as(registration.output()).isTrue();
            assertThat(registration.output().contains(response.field("activationCode")))
                    .as("the agent printed the code")
                    .isFalse();
            assertThat(registration.registrationFile()).contains("\"Region\":\"" + stack.region + "\"");
            String instanceId = registration.instanceId();
            assertThat(instanceId).startsWith("mi-");

            // Registered, not yet heard from: SSM knows the activation's side of the machine and nothing of its own.
            InstanceInformation registered =
                    MachineAgent.describe(stack, instanceId).orElseThrow();
            assertThat(registered.activationId()).isEqualTo(response.field("activationId"));
            assertThat(registered.name()).isEqualTo(hostname);
            assertThat(registered.iamRole()).isEqualTo(stack.templateFleet.instanceRole());
            assertThat(registered.pingStatus()).isEqualTo(PingStatus.CONNECTION_LOST);
            assertThat(registered.computerName()).isNull();
            assertThat(registered.ipAddress()).isNull();
            assertThat(registered.platformType()).isNull();

            Map<String, String> tags = stack
                    .ssm
                    .listTagsForResource(
                            request -> request.resourceType("ManagedInstance").resourceId(instanceId))
                    .tagList()
                    .stream()
                    .collect(Collectors.toMap(Tag::key, Tag::value));
            assertThat(tags)
                    .containsEntry("hybrid-onboarding:fleet", stack.templateFleet.name())
                    .containsEntry("hybrid-onboarding:enrollment-id", response.field("enrollmentId"));

            agent.startService();
            InstanceInformation pinged = agent.awaitReport(stack, instanceId);

            assertThat(pinged.pingStatus()).isEqualTo(PingStatus.ONLINE);
            assertThat(pinged.computerName()).isEqualTo(hostname);
            assertThat(pinged.ipAddress()).isNotBlank();
            assertThat(pinged.platformType()).isEqualTo(PlatformType.LINUX);
            assertThat(pinged.platformName()).isNotBlank();
            assertThat(pinged.agentVersion()).isEqualTo("3.3.0.0");
            assertThat(pinged.activationId()).isEqualTo(response.field("activationId"));
            assertThat(pinged.name()).isEqualTo(hostname);
        }
        assertThat(agent.processes())
                .as("the agent's processes after it was stopped")
                .isEmpty();
    }
}
