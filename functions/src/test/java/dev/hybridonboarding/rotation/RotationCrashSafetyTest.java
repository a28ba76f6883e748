package dev.hybridonboarding.rotation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hybridonboarding.activation.ActivationSpec;
import dev.hybridonboarding.activation.Handout;
import dev.hybridonboarding.activation.InstanceTags;
import dev.hybridonboarding.enrollment.EnrollmentResult;
import dev.hybridonboarding.support.DependencyUnavailableException;
import dev.hybridonboarding.testing.FakeCodeVault;
import dev.hybridonboarding.testing.FakeSsm;
import dev.hybridonboarding.testing.InMemoryTable;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A run can die after any call; the next run converges. Every call a run makes fails once, before or after doing its
 * work, and the invariants hold after that run and after the next.
 */
class RotationCrashSafetyTest extends RotationFixture {

    static Stream<Arguments> everyCallFailingOnce() {
        List<Arguments> cases = new ArrayList<>();
        for (InMemoryTable.Operation operation : InMemoryTable.Operation.values()) {
            cases.add(Arguments.of(operation + " fails", (Consumer<RotationCrashSafetyTest>)
                    t -> t.table.faults().failNext(operation, throttled())));
            cases.add(Arguments.of(operation + " loses its answer", (Consumer<RotationCrashSafetyTest>)
                    t -> t.table.faults().loseAnswerOfNext(operation)));
        }
        for (FakeSsm.Operation operation : FakeSsm.Operation.values()) {
            cases.add(Arguments.of("ssm " + operation + " fails", (Consumer<RotationCrashSafetyTest>)
                    t -> t.ssm.faults().failNext(operation, throttled())));
            cases.add(Arguments.of("ssm " + operation + " loses its answer", (Consumer<RotationCrashSafetyTest>)
                    t -> t.ssm.faults().loseAnswerOfNext(operation)));
        }
        for (FakeCodeVault.Operation operation : FakeCodeVault.Operation.values()) {
            cases.add(Arguments.of("kms " + operation + " fails", (Consumer<RotationCrashSafetyTest>)
                    t -> t.vault.faults().failNext(operation, throttled())));
        }
        return cases.stream();
    }

    private static DependencyUnavailableException throttled() {
        return new DependencyUnavailableException("ThrottlingException", null);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("everyCallFailingOnce")
    void theInvariantsHoldAfterTheFailingRunAndTheNext(String fault, Consumer<RotationCrashSafetyTest> inject) {
        run();
        String beforeRotation = current();
        EnrollmentResult used = enroll(singleUse, "used");
        ssm.register(used.activationId());
        String crashed = ssm.createdElsewhere(
                new ActivationSpec("Role", 1, NOW.plus(Duration.ofHours(2)), "x", "crash", OWNER.tags()), NOW);
        clock.advance(Duration.ofDays(5).plusHours(6));

        inject.accept(this);
        try {
            run();
        } catch (RuntimeException died) {
            // The run died at the injected call, as a Lambda invocation would.
        }
        table.faults().clear();
        ssm.faults().clear();
        vault.faults().clear();
        assertTheFleetCanEnroll();

        clock.advance(INTERVAL);
        run();
        assertInvariants();
        assertThat(current()).as("rotated, at the latest by the next run").isNotEqualTo(beforeRotation);
        assertThat(ssm.activation(used.activationId()))
                .as("the used single-use activation")
                .isEmpty();
        assertThat(ssm.activation(crashed)).as("the crash's leftover").isEmpty();

        clock.advance(POLICY.gracePeriod().plus(INTERVAL));
        run();
        assertInvariants();
        assertThat(ssm.activation(beforeRotation))
                .as("replaced more than a grace period ago")
                .isEmpty();
    }

    private void assertInvariants() {
        assertTheFleetCanEnroll();
        for (FakeSsm.Activation activation : ssm.live()) {
            if (OWNER.owns(activation.spec().tags())) {
                assertThat(activation
                                .spec()
                                .expiresAt()
                                .plus(POLICY.gracePeriod())
                                .plus(INTERVAL))
                        .as("no activation of ours outlives its expiry and grace by more than a run")
                        .isAfter(clock.instant());
            }
        }
    }

    private void assertTheFleetCanEnroll() {
        SharedActivation current = table.current("edge").orElseThrow();
        assertThat(current.canHandOut(clock.instant(), Handout.MARGIN))
                .as("the fleet can enroll")
                .isTrue();
        assertThat(ssm.activation(current.activationId()))
                .as("its activation exists")
                .isPresent();
        assertThat(vault.open(current.sealedCode(), "edge", current.activationId())
                        .reveal())
                .as("its code is not lost")
                .isNotBlank();
        List<FakeSsm.Activation> ofFleet = ssm.live().stream()
                .filter(a -> "edge".equals(a.spec().tags().get(InstanceTags.FLEET)))
                .toList();
        assertThat(ofFleet.size())
                .as("no activation created twice for one rotation: " + ofFleet)
                .isLessThanOrEqualTo(3);
    }
}
