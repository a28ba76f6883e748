package dev.hybridonboarding.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hybridonboarding.token.TokenIssuer;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.ssm.model.InstanceInformation;
import software.amazon.awssdk.services.ssm.model.InstanceInformationFilterKey;
import software.amazon.awssdk.services.ssm.model.Tag;

/** The first vertical slice: a token buys an activation, the agent registers with it, SSM lists the machine. */
class FirstEnrollmentIT {

    private final LocalStack stack = LocalStack.get();
    private final Api api = new Api(stack);

    @AfterAll
    static void noSecretReachedALog() {
        Secrets.assertNoneLogged(LocalStack.get().functionLogFiles());
    }

    @Test
    void aMachineEnrollsRegistersAndShowsUpInSsm(@TempDir Path agentDir) {
        TokenIssuer.Issued issued = stack.token(stack.templateFleet.name(), 1);

        ApiResponse response = api.enroll(issued.bearer().reveal(), Api.body("web-01", "machine-0001", Map.of()));

        assertThat(response.status()).as(response.toString()).isEqualTo(201);
        assertThat(response.header("Cache-Control")).isEqualTo("no-store");
        assertThat(response.field("region")).isEqualTo(stack.region);
        assertThat(response.field("fleet")).isEqualTo(stack.templateFleet.name());
        assertThat(response.field("instanceName")).isEqualTo("web-01");
        assertThat(response.field("enrollmentId")).startsWith("enr-");
        assertThat(response.field("activationId")).matches("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
        assertThat(response.field("expiresAt")).isNotBlank();

        FakeAgent.Registration registration = new FakeAgent(stack, agentDir, "web-01")
                .register(response.field("activationId"), response.field("activationCode"));

        assertThat(registration.succeeded()).as(registration.output()).isTrue();
        assertThat(registration.output().contains(response.field("activationCode"))).as("the agent printed the code").isFalse();
        assertThat(registration.registrationFile()).contains("\"Region\":\"" + stack.region + "\"");
        String instanceId = registration.instanceId();
        assertThat(instanceId).startsWith("mi-");

        InstanceInformation instance = stack.ssm.describeInstanceInformationPaginator(request -> request
                        .instanceInformationFilterList(filter -> filter.key(InstanceInformationFilterKey.INSTANCE_IDS).valueSet(instanceId)))
                .instanceInformationList().stream().findFirst().orElseThrow();
        assertThat(instance.activationId()).isEqualTo(response.field("activationId"));
        assertThat(instance.name()).isEqualTo("web-01");
        assertThat(instance.computerName()).isEqualTo("web-01");
        assertThat(instance.iamRole()).isEqualTo(stack.templateFleet.instanceRole());

        Map<String, String> tags = stack.ssm.listTagsForResource(request -> request.resourceType("ManagedInstance").resourceId(instanceId))
                .tagList().stream().collect(java.util.stream.Collectors.toMap(Tag::key, Tag::value));
        assertThat(tags).containsEntry("hybrid-onboarding:fleet", stack.templateFleet.name())
                .containsEntry("hybrid-onboarding:enrollment-id", response.field("enrollmentId"));
    }
}
