package dev.hybridonboarding.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hybridonboarding.fleet.FleetMode;
import dev.hybridonboarding.token.TokenIssuer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Shared fleets: one activation for many machines, replaced before it is full or expired. */
class SharedFleetIT {

    private final LocalStack stack = LocalStack.get();
    private final Api api = new Api(stack);
    private String fleet;

    @BeforeEach
    void sharedFleet() {
        stack.clearFailureCounters();
        fleet = LocalStack.uniqueFleet("shared");
        stack.fleets.create(
                fleet, FleetMode.SHARED, f -> f.withRegistrationLimit(3).withTags(Map.of("site", "lab")));
    }

    @AfterEach
    void realTimeAndNoFaults() {
        stack.emulator("POST", "clock", Map.of("offsetSeconds", 0));
        stack.clearFaults();
    }

    @AfterAll
    static void noSecretReachedALog() {
        Secrets.assertNoneLogged(LocalStack.get().functionLogFiles());
    }

    @Test
    void manyMachinesShareAnActivationUntilItIsFullAndEveryOneRegisters(@TempDir Path agents) {
        TokenIssuer.Issued issued = stack.token(fleet, 20);
        List<String> activationIds = new ArrayList<>();
        for (int machine = 0; machine < 7; machine++) {
            String host = "edge-" + machine;
            ApiResponse response = api.enroll(issued.bearer().reveal(), Api.body(host, "machine-" + host, null));
            assertThat(response.status()).as(response.toString()).isEqualTo(201);
            activationIds.add(response.field("activationId"));

            FakeAgent.Registration registration = new FakeAgent(stack, agents.resolve(host), host)
                    .register(response.field("activationId"), response.field("activationCode"));
            assertThat(registration.succeeded()).as(registration.output()).isTrue();
        }

        assertThat(activationIds.subList(0, 3)).containsOnly(activationIds.get(0));
        assertThat(activationIds.subList(3, 6)).containsOnly(activationIds.get(3));
        assertThat(activationIds.get(6)).isNotIn(activationIds.get(0), activationIds.get(3));
        var activation = stack.ssm
                .describeActivations(request -> request.filters(
                        filter -> filter.filterKey("ActivationIds").filterValues(activationIds.get(0))))
                .activationList()
                .get(0);
        assertThat(activation.registrationsCount()).isEqualTo(3);
        assertThat(activation.registrationLimit()).isEqualTo(3);
        assertThat(activation.tags())
                .extracting(tag -> tag.key() + "=" + tag.value())
                .contains("site=lab", "hybrid-onboarding:fleet=" + fleet);
        assertThat(stack.store.token(issued.token().tokenId()).orElseThrow().uses())
                .isEqualTo(7);
    }

    @Test
    void anActivationCloseToExpiryIsReplacedAndTheNewOneRegisters(@TempDir Path agents) {
        // The functions run on the emulator clock: the token has to outlive the jump ahead.
        TokenIssuer.Issued issued = stack.tokens.create(fleet, 5, Duration.ofDays(8), List.of(), "integration test");
        Secrets.remember(issued.bearer().reveal());
        ApiResponse first = api.enroll(issued.bearer().reveal(), Api.body("edge-a", null, null));
        assertThat(first.status()).as(first.toString()).isEqualTo(201);

        // Six days and 23h55m later, for SSM and the functions alike: the activation has five minutes left.
        long ahead = Duration.between(Instant.now(), Instant.parse(first.field("expiresAt")))
                .minusMinutes(5)
                .toSeconds();
        stack.emulator("POST", "clock", Map.of("offsetSeconds", ahead));

        ApiResponse second = api.enroll(issued.bearer().reveal(), Api.body("edge-b", null, null));

        assertThat(second.status()).as(second.toString()).isEqualTo(201);
        assertThat(second.field("activationId")).isNotEqualTo(first.field("activationId"));
        stack.emulator("POST", "clock", Map.of("offsetSeconds", 0));
        FakeAgent.Registration registration = new FakeAgent(stack, agents.resolve("b"), "edge-b")
                .register(second.field("activationId"), second.field("activationCode"));
        assertThat(registration.succeeded()).as(registration.output()).isTrue();
    }

    @Test
    void aRetryByTheSameMachineDoesNotUseAnotherSlot() {
        TokenIssuer.Issued issued = stack.token(fleet, 5);

        ApiResponse first = api.enroll(issued.bearer().reveal(), Api.body("edge-r", "machine-edge-r", null));
        ApiResponse retry = api.enroll(issued.bearer().reveal(), Api.body("edge-r", "machine-edge-r", null));

        assertThat(first.status()).isEqualTo(201);
        assertThat(retry.status()).as(retry.toString()).isEqualTo(200);
        assertThat(retry.field("activationId")).isEqualTo(first.field("activationId"));
        assertThat(stack.store.sharedActivation(fleet).orElseThrow().handedOut())
                .isEqualTo(1);
        assertThat(stack.store.token(issued.token().tokenId()).orElseThrow().uses())
                .isEqualTo(1);
    }

    @Test
    void aHandoutWhoseAnswerIsLostIsStillAnsweredAsTheCreationItWas() {
        TokenIssuer.Issued issued = stack.token(fleet, 5);
        ApiResponse first = api.enroll(issued.bearer().reveal(), Api.body("edge-x", "machine-edge-x", null));
        stack.emulator(
                "POST",
                "faults",
                Map.of(
                        "target",
                        "dynamodb.TransactWriteItems",
                        "error",
                        "InternalServerError",
                        "status",
                        500,
                        "count",
                        1,
                        "answerLost",
                        true));

        Api.Answers answers = api.enrollAsMachine(issued.bearer().reveal(), Api.body("edge-y", "machine-edge-y", null));
        ApiResponse second = answers.last();

        assertThat(answers.enrolledAsANewMachine())
                .as("a first enrollment, not a replay: " + answers)
                .isTrue();
        assertThat(second.field("activationId")).isEqualTo(first.field("activationId"));
        assertThat(stack.store.sharedActivation(fleet).orElseThrow().handedOut())
                .isEqualTo(2);
        assertThat(stack.store.token(issued.token().tokenId()).orElseThrow().uses())
                .isEqualTo(2);
    }
}
