package dev.hybridonboarding.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A rotation run can meet throttling and failures, or be stopped after any call (Lambda ends it at its timeout, or
 * its runtime crashes). Whatever happened, the fleet keeps a usable activation, and the run one schedule interval
 * later finishes the rotation and leaves nothing of ours that the table does not know.
 */
class RotationFaultsIT {

    private static final LocalStack STACK = LocalStack.get();
    private static final RotationWorld WORLD = new RotationWorld(STACK);

    @BeforeAll
    static void everyFleetReady() {
        // Fleets other tests left without an activation get theirs now, so that a run below rotates only its fleet.
        WORLD.tickFor();
    }

    @AfterEach
    void realTimeAndNoFaults() {
        STACK.emulator("POST", "clock", Map.of("offsetSeconds", 0));
        STACK.clearFaults();
    }

    @AfterAll
    static void noSecretReachedALog() {
        Secrets.assertNoneLogged(STACK.functionLogFiles());
    }

    /** The calls rotating a fleet makes, in order: lease, CreateActivation, sealing the code, the installation. */
    static Stream<Arguments> faultsInARotation() {
        return Stream.of(
                Arguments.of("stopped after taking the fleet's lease", stopAfter("dynamodb.PutItem")),
                Arguments.of("stopped after CreateActivation", stopAfter("ssm.CreateActivation")),
                Arguments.of("stopped after sealing the code", stopAfter("kms.Encrypt")),
                Arguments.of("stopped after the installation", stopAfter("dynamodb.TransactWriteItems")),
                Arguments.of(
                        "CreateActivation throttled", failEvery("ssm.CreateActivation", "ThrottlingException", 400)),
                Arguments.of("CreateActivation failing", failEvery("ssm.CreateActivation", "InternalServerError", 500)),
                Arguments.of("the key service failing", failEvery("kms.Encrypt", "KMSInternalException", 500)),
                Arguments.of(
                        "the installation failing",
                        failEvery("dynamodb.TransactWriteItems", "InternalServerError", 500)),
                Arguments.of("the installation's answer lost", answerLost("dynamodb.TransactWriteItems")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("faultsInARotation")
    void theFleetKeepsAUsableActivationAndTheNextRunFinishesTheRotation(String what, Map<String, Object> fault) {
        String fleet = WORLD.fleetDueByRegistrations("faults");
        String before = WORLD.current(fleet).activationId();

        injectForTheRotationFunction(fault);
        LocalStack.ControlAnswer faulted = WORLD.tick();
        STACK.clearFaults();

        if (fault.containsKey("stopCaller")) {
            assertThat(faulted.body().get("errorType"))
                    .as("the run was stopped: " + faulted)
                    .isEqualTo("Runtime.ExitError");
        }
        WORLD.assertTheFleetCanEnroll(fleet);
        WORLD.moveClockAhead(WORLD.interval);
        WORLD.tickFor(fleet);
        WORLD.assertTheFleetCanEnroll(fleet);
        assertThat(WORLD.current(fleet).activationId())
                .as("rotated, at the latest by the next run")
                .isNotEqualTo(before);
        assertThat(WORLD.inSsm(before))
                .as("the replaced activation, within its grace period")
                .isPresent();
        WORLD.assertNothingUnrecorded(fleet);
    }

    @Test
    void aRunStoppedWhileDeletingAReplacedActivationIsFinishedByTheNext() {
        String fleet = WORLD.fleetDueByRegistrations("deleting");
        String replaced = WORLD.current(fleet).activationId();
        WORLD.tickFor(fleet);
        assertThat(WORLD.current(fleet).activationId()).isNotEqualTo(replaced);

        for (String call : new String[] {"ssm.DeleteActivation", "dynamodb.UpdateItem"}) {
            WORLD.moveClockAhead(WORLD.gracePeriod.plus(WORLD.interval));
            injectForTheRotationFunction(stopAfter(call));
            LocalStack.ControlAnswer stopped = WORLD.tick();
            STACK.clearFaults();
            assertThat(stopped.body().get("errorType"))
                    .as("the run was stopped: " + stopped)
                    .isEqualTo("Runtime.ExitError");
            WORLD.assertTheFleetCanEnroll(fleet);
        }
        WORLD.moveClockAhead(WORLD.interval);
        WORLD.tickFor(fleet);

        assertThat(WORLD.inSsm(replaced))
                .as("the replaced activation, past its grace period")
                .isEmpty();
        WORLD.assertNothingUnrecorded(fleet);
        WORLD.assertTheFleetCanEnroll(fleet);
    }

    private static void injectForTheRotationFunction(Map<String, Object> fault) {
        Map<String, Object> rule = new LinkedHashMap<>(fault);
        rule.put("accessKeyId", STACK.accessKeyOf(RotationWorld.FUNCTION));
        STACK.emulator("POST", "faults", rule);
    }

    private static Map<String, Object> stopAfter(String call) {
        return Map.of("target", call, "stopCaller", true);
    }

    private static Map<String, Object> failEvery(String call, String error, int status) {
        return Map.of("target", call, "error", error, "status", status, "count", -1);
    }

    private static Map<String, Object> answerLost(String call) {
        return Map.of("target", call, "error", "InternalServerError", "status", 500, "answerLost", true);
    }
}
