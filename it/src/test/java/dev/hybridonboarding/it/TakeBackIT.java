package dev.hybridonboarding.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hybridonboarding.fleet.FleetMode;
import dev.hybridonboarding.token.TokenIssuer;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A leaked token or code is taken back: revoking the token or disabling the fleet deletes what could still register
 * a machine and says so, leaves registered machines alone, and a shared fleet goes on enrolling with a new code. A
 * shared code filled by registrations nobody enrolled is noticed and replaced.
 */
class TakeBackIT {

    private final LocalStack stack = LocalStack.get();
    private final Api api = new Api(stack);

    @TempDir
    Path agents;

    @BeforeEach
    void noFailuresCounted() {
        stack.clearFailureCounters();
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
    void revokingATokenDeletesItsUnusedSingleUseActivationsAndLeavesRegisteredMachinesAlone() throws IOException {
        String fleet = LocalStack.uniqueFleet("revoke");
        stack.fleets.create(fleet, FleetMode.SINGLE_USE, f -> f);
        TokenIssuer.Issued issued = stack.token(fleet, 3);
        ApiResponse registered = enroll(issued, "rack-01");
        ApiResponse unused = enroll(issued, "rack-02");
        String instanceId = register("rack-01", registered).instanceId();

        HobRun revoke = hob("--json", "token", "revoke", issued.token().tokenId());

        assertThat(revoke.exitCode()).as(revoke.err()).isZero();
        Map<String, Object> takenBack = takenBack(revoke.json());
        assertThat(takenBack.get("deletedSingleUseActivations")).isEqualTo(List.of(unused.field("activationId")));
        assertThat(takenBack.get("registeredAlready")).isEqualTo(List.of(registered.field("activationId")));
        assertThat(activationExists(unused.field("activationId"))).isFalse();
        assertThat(activationExists(registered.field("activationId"))).isTrue();
        assertThat(MachineAgent.describe(stack, instanceId))
                .as("a registered machine stays registered")
                .isPresent();
        assertThat(register("rack-02", unused).succeeded())
                .as("the taken-back code registers nothing")
                .isFalse();
        assertThat(api.enroll(issued.bearer().reveal(), Api.body("rack-03", null, null))
                        .status())
                .isEqualTo(401);
    }

    @Test
    void revokingATokenOnASharedFleetReplacesTheCodeItReceivedAndTheFleetGoesOn() throws IOException {
        String fleet = LocalStack.uniqueFleet("revoke-shared");
        stack.fleets.create(fleet, FleetMode.SHARED, f -> f.withRegistrationLimit(10));
        TokenIssuer.Issued leaked = stack.token(fleet, 5);
        TokenIssuer.Issued kept = stack.token(fleet, 5);
        ApiResponse received = enroll(leaked, "edge-leak");

        HobRun revoke = hob("token", "revoke", leaked.token().tokenId());

        assertThat(revoke.exitCode()).as(revoke.err()).isZero();
        String old = received.field("activationId");
        assertThat(revoke.out()).contains("Deleted shared activation(s) " + old).contains("shared activation is now");
        assertThat(activationExists(old)).isFalse();
        assertThat(register("edge-leak", received).succeeded())
                .as("the leaked code registers nothing")
                .isFalse();

        ApiResponse next = enroll(kept, "edge-next");
        assertThat(next.field("activationId")).isNotEqualTo(old);
        assertThat(revoke.out()).contains(next.field("activationId"));
        assertThat(register("edge-next", next).succeeded()).isTrue();
    }

    @Test
    void disablingASharedFleetTakesBackItsCodeAndEnablingItGivesANewOne() throws IOException {
        String fleet = LocalStack.uniqueFleet("disable");
        stack.fleets.create(fleet, FleetMode.SHARED, f -> f.withRegistrationLimit(10));
        TokenIssuer.Issued issued = stack.token(fleet, 5);
        ApiResponse before = enroll(issued, "edge-before");

        HobRun disable = hob("--json", "fleet", "disable", fleet);

        assertThat(disable.exitCode()).as(disable.err()).isZero();
        Map<String, Object> shown = disable.json();
        assertThat(shown).containsEntry("name", fleet).containsEntry("enabled", false);
        assertThat(takenBack(shown).get("deletedSharedActivations")).isEqualTo(List.of(before.field("activationId")));
        assertThat(takenBack(shown).get("newSharedActivation"))
                .as("a disabled fleet gets no new code")
                .isNull();
        assertThat(activationExists(before.field("activationId"))).isFalse();
        assertThat(api.enroll(issued.bearer().reveal(), Api.body("edge-while-off", null, null))
                        .status())
                .isEqualTo(403);

        assertThat(hob("fleet", "enable", fleet).exitCode()).isZero();
        ApiResponse after = enroll(issued, "edge-after");
        assertThat(after.field("activationId")).isNotEqualTo(before.field("activationId"));
        assertThat(register("edge-after", after).succeeded()).isTrue();
    }

    @Test
    void aSharedCodeFilledByRegistrationsNobodyEnrolledIsReplacedForTheNextMachine() {
        String fleet = LocalStack.uniqueFleet("rogue");
        stack.fleets.create(fleet, FleetMode.SHARED, f -> f.withRegistrationLimit(3));
        TokenIssuer.Issued issued = stack.token(fleet, 5);
        ApiResponse handedOut = enroll(issued, "edge-honest");
        for (int rogue = 0; rogue < 3; rogue++) {
            assertThat(register("rogue-" + rogue, handedOut).succeeded()).isTrue();
        }
        // One handout counted, three registrations in SSM: only SSM knows the code is used up. The enrollment
        // function trusts what it read from SSM for a minute, so a minute and a bit later it must know.
        stack.emulator(
                "POST", "clock", Map.of("offsetSeconds", Duration.ofSeconds(75).toSeconds()));

        ApiResponse next = enroll(issued, "edge-next");

        assertThat(next.field("activationId")).isNotEqualTo(handedOut.field("activationId"));
        stack.emulator("POST", "clock", Map.of("offsetSeconds", 0));
        assertThat(register("edge-next", next).succeeded())
                .as("the next machine registers")
                .isTrue();
    }

    private ApiResponse enroll(TokenIssuer.Issued issued, String hostname) {
        Api.Answers answers =
                api.enrollAsMachine(issued.bearer().reveal(), Api.body(hostname, "machine-" + hostname, null));
        assertThat(answers.enrolledAsANewMachine()).as(answers.toString()).isTrue();
        return answers.last();
    }

    private MachineAgent.Registration register(String hostname, ApiResponse enrolled) {
        return new FakeAgent(stack, agents.resolve(hostname + "-" + System.nanoTime()), hostname)
                .register(enrolled.field("activationId"), enrolled.field("activationCode"));
    }

    private boolean activationExists(String activationId) {
        return !stack.ssm
                .describeActivations(request -> request.filters(
                        filter -> filter.filterKey("ActivationIds").filterValues(activationId)))
                .activationList()
                .isEmpty();
    }

    private HobRun hob(String... args) {
        return HobRun.of(stack, args);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> takenBack(Map<String, Object> json) {
        return (Map<String, Object>) json.get("takenBack");
    }
}
