package dev.hybridonboarding.enrollment;

import static dev.hybridonboarding.enrollment.EnrollmentWorld.NOW;
import static dev.hybridonboarding.enrollment.EnrollmentWorld.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.doAnswer;
import static org.mockito.Mockito.spy;

import dev.hybridonboarding.activation.ActivationRejectedException;
import dev.hybridonboarding.activation.ActivationSpec;
import dev.hybridonboarding.activation.InstanceTags;
import dev.hybridonboarding.activation.IssuedActivation;
import dev.hybridonboarding.fleet.Fleet;
import dev.hybridonboarding.rotation.ActivationRecord;
import dev.hybridonboarding.rotation.SharedActivation;
import dev.hybridonboarding.support.DependencyUnavailableException;
import dev.hybridonboarding.testing.FakeCodeVault;
import dev.hybridonboarding.testing.FakeSsm;
import dev.hybridonboarding.testing.InMemoryTable;
import dev.hybridonboarding.token.TokenIssuer;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Shared fleets: one activation handed to many machines, never beyond its limit or close to its expiry, and the next
 * one created by exactly one request when it runs out, with nothing left behind when that fails.
 */
class SharedEnrollmentTest {

    private final EnrollmentWorld world = new EnrollmentWorld();
    private final Fleet fleet = EnrollmentWorld.sharedFleet();
    private TokenIssuer.Issued issued;

    @BeforeEach
    void sharedFleet() {
        world.withStoredFleet(fleet);
        issued = world.token("edge", 20);
    }

    @AfterEach
    void nothingSecretWasLogged() {
        world.assertNothingSecretWasLogged();
    }

    private EnrollmentResult enroll(String machineId) {
        return world.enroll(issued, request(machineId, Map.of()));
    }

    private SharedActivation current() {
        return world.table.current("edge").orElseThrow();
    }

    /** The fleet's current activation as time or other machines left it. */
    private void wearOut(int handedOut, Duration leftToLive) {
        SharedActivation now = current();
        world.table.putSharedActivation(
                "edge",
                new SharedActivation(
                        now.activationId(),
                        now.sealedCode(),
                        NOW.plus(leftToLive),
                        now.registrationLimit(),
                        handedOut,
                        now.createdAt()));
    }

    @Test
    void machinesShareTheCurrentActivationAndEachHandoutIsCounted() {
        EnrollmentResult first = enroll("m-1");
        EnrollmentResult second = enroll("m-2");

        assertThat(second.activationId()).isEqualTo(first.activationId());
        assertThat(second.activationCode()).isEqualTo(first.activationCode());
        assertThat(current().handedOut()).isEqualTo(2);
        assertThat(world.ssm.created()).isEqualTo(1);
        FakeSsm.Activation activation =
                world.ssm.activation(first.activationId()).orElseThrow();
        assertThat(activation.spec().registrationLimit()).isEqualTo(3);
        assertThat(activation.spec().expiresAt()).isEqualTo(NOW.plus(fleet.activationLifetime()));
        assertThat(activation.spec().tags()).containsEntry(InstanceTags.FLEET, "edge");
        assertThat(world.table
                        .retryRecord(issued.token().tokenId(), "m-2")
                        .orElseThrow()
                        .sealing())
                .isEqualTo(RetryRecord.CodeSealing.VAULT);
        assertThat(world.stored(issued).uses()).isEqualTo(2);
    }

    @Test
    void anActivationThatOthersFilledWithRegistrationsOfTheirOwnIsReplacedBeforeAnyoneElseGetsIt() {
        EnrollmentResult first = enroll("m-1");
        for (int i = 0; i < 3; i++) {
            world.ssm.register(first.activationId());
        }
        world.clock.advance(EnrollmentService.SHARED_STATUS_FRESH_FOR);

        EnrollmentResult next = enroll("m-2");

        assertThat(next.activationId()).isNotEqualTo(first.activationId());
        assertThat(world.log()).contains("shared-activation.registered-beyond-handouts");
    }

    @Test
    void anActivationDeletedFromSsmIsReplaced() {
        EnrollmentResult first = enroll("m-1");
        world.ssm.delete(first.activationId());
        world.clock.advance(EnrollmentService.SHARED_STATUS_FRESH_FOR);

        assertThat(enroll("m-2").activationId()).isNotEqualTo(first.activationId());
    }

    @Test
    void ssmIsAskedAboutTheCurrentActivationAtMostOnceAMinute() {
        enroll("m-1");
        enroll("m-2");
        enroll("m-3");
        int asked = world.ssm.faults().calls(FakeSsm.Operation.STATUS);
        world.clock.advance(EnrollmentService.SHARED_STATUS_FRESH_FOR);
        wearOut(0, Duration.ofDays(6));
        enroll("m-4");

        assertThat(asked).isEqualTo(1);
        assertThat(world.ssm.faults().calls(FakeSsm.Operation.STATUS)).isEqualTo(2);
    }

    @Test
    void whenSsmCannotBeAskedTheHandoutCountStillBoundsTheHandout() {
        EnrollmentResult first = enroll("m-1");
        world.clock.advance(EnrollmentService.SHARED_STATUS_FRESH_FOR);
        world.ssm
                .faults()
                .failNext(FakeSsm.Operation.STATUS, new DependencyUnavailableException("ThrottlingException", null));

        assertThat(enroll("m-2").activationId()).isEqualTo(first.activationId());
    }

    @Test
    void aFullActivationIsReplacedBeforeAnyoneGetsIt() {
        EnrollmentResult first = enroll("m-1");
        wearOut(3, Duration.ofDays(6));

        EnrollmentResult next = enroll("m-2");

        assertThat(next.activationId()).isNotEqualTo(first.activationId());
        assertThat(current().activationId()).isEqualTo(next.activationId());
        assertThat(current().handedOut()).isEqualTo(1);
        assertThat(world.table.activationRecord(next.activationId())).isPresent();
        assertThat(world.table.leaseHeld("edge")).isFalse();
    }

    @Test
    void anActivationAboutToExpireIsNeverHandedOut() {
        EnrollmentResult first = enroll("m-1");
        wearOut(1, Duration.ofMinutes(5));

        assertThat(enroll("m-2").activationId()).isNotEqualTo(first.activationId());
    }

    @Test
    void aHandoutThatLosesTheRaceForTheLastSlotGetsTheNextActivation() {
        EnrollmentResult first = enroll("m-1");
        wearOut(2, Duration.ofDays(6));
        world.table.faults().beforeNext(InMemoryTable.Operation.COMMIT, () -> enroll("m-other"));

        EnrollmentResult late = enroll("m-2");

        assertThat(late.activationId()).isNotEqualTo(first.activationId());
        assertThat(world.ssm.created()).isEqualTo(2);
        assertThat(world.stored(issued).uses()).isEqualTo(3);
    }

    @Test
    void whenAnotherRequestInstalledTheNextOneFirstTheLoserDeletesItsOwnAndUsesTheWinners() {
        enroll("m-1");
        wearOut(3, Duration.ofDays(6));
        String[] winners = new String[1];
        world.table.faults().beforeNext(InMemoryTable.Operation.INSTALL, () -> {
            SharedActivation spent = current();
            IssuedActivation made = world.ssm.create(
                    new ActivationSpec("Role", 3, NOW.plus(Duration.ofDays(7)), "edge", "the winner's", Map.of()));
            SharedActivation fresh = new SharedActivation(
                    made.activationId(),
                    world.vault.seal(made.code(), "edge", made.activationId()),
                    made.expiresAt(),
                    3,
                    0,
                    NOW);
            world.table.install(
                    "edge",
                    Optional.of(spent.activationId()),
                    fresh,
                    ActivationRecord.shared(fresh.activationId(), "edge", 3, fresh.expiresAt(), NOW));
            winners[0] = fresh.activationId();
        });

        EnrollmentResult loser = enroll("m-2");

        assertThat(loser.activationId()).isEqualTo(winners[0]);
        assertThat(world.ssm.deleted()).hasSize(1);
        assertThat(world.table.leaseHeld("edge")).isFalse();
    }

    @Test
    void aCallerThatFindsANewerActivationOnceItHasTheLeaseGivesTheLeaseBackAndUsesIt() {
        enroll("m-1");
        wearOut(3, Duration.ofDays(6));
        world.table.faults().beforeNext(InMemoryTable.Operation.ACQUIRE_LEASE, () -> enroll("m-other"));

        EnrollmentResult result = enroll("m-2");

        assertThat(result.activationId()).isEqualTo(current().activationId());
        assertThat(world.ssm.created())
                .as("one CreateActivation for the fill, not one each")
                .isEqualTo(2);
        assertThat(world.table.leaseHeld("edge")).isFalse();
    }

    @Test
    void whileAnotherRequestCreatesTheNextActivationTheOthersWaitAndUseIt() {
        enroll("m-1");
        wearOut(3, Duration.ofDays(6));
        world.table.acquireLease("edge", "someone-else", NOW, NOW.plusSeconds(30));
        world.table.faults().beforeNext(InMemoryTable.Operation.CURRENT, () -> {
            world.table.releaseLease("edge", "someone-else");
            enroll("m-installer");
        });

        EnrollmentResult waited = enroll("m-2");

        assertThat(waited.activationId()).isEqualTo(current().activationId());
        assertThat(world.ssm.created()).isEqualTo(2);
    }

    @Test
    void whenTheLeaseHolderNeverDeliversTheOthersAreToldToComeBack() {
        enroll("m-1");
        wearOut(3, Duration.ofDays(6));
        world.table.acquireLease("edge", "someone-else", NOW, NOW.plusSeconds(30));

        EnrollmentRejectedException refused = world.refusal(issued, request("m-2", Map.of()));

        assertThat(refused.failure()).isEqualTo(EnrollmentFailure.SERVICE_UNAVAILABLE);
        assertThat(world.ssm.created()).isEqualTo(1);
        assertThat(world.stored(issued).uses()).isEqualTo(1);
    }

    @Test
    void aKmsOutageWhileSealingANewActivationDeletesItAndGivesTheLeaseBack() {
        world.vault
                .faults()
                .failNext(
                        FakeCodeVault.Operation.SEAL,
                        new DependencyUnavailableException("KMS Encrypt: throttled", null));

        assertThat(world.refusal(issued, request("m-1", Map.of())).failure())
                .isEqualTo(EnrollmentFailure.SERVICE_UNAVAILABLE);
        assertThat(world.ssm.live()).isEmpty();
        assertThat(world.table.leaseHeld("edge")).isFalse();
        assertThat(world.stored(issued).uses()).isZero();
    }

    @Test
    void aTableOutageWhileInstallingDeletesTheActivationAndGivesTheLeaseBack() {
        world.table
                .faults()
                .failNext(InMemoryTable.Operation.INSTALL, new DependencyUnavailableException("throttled", null));

        assertThat(world.refusal(issued, request("m-1", Map.of())).failure())
                .isEqualTo(EnrollmentFailure.SERVICE_UNAVAILABLE);
        assertThat(world.ssm.live()).isEmpty();
        assertThat(world.table.leaseHeld("edge")).isFalse();
    }

    @Test
    void theLeaseIsGivenBackWhenSsmRefusesTheActivation() {
        world.ssm
                .faults()
                .failNext(
                        FakeSsm.Operation.CREATE,
                        new ActivationRejectedException("ValidationException: Not existing role", null));

        assertThat(world.refusal(issued, request("m-1", Map.of())).failure())
                .isEqualTo(EnrollmentFailure.FLEET_MISCONFIGURED);
        assertThat(world.table.leaseHeld("edge")).isFalse();
    }

    @Test
    void anInstallationWhoseAnswerWasLostIsUsedNotDeleted() {
        world.table.faults().loseAnswerOfNext(InMemoryTable.Operation.INSTALL);

        EnrollmentResult result = enroll("m-1");

        assertThat(result.activationId()).isEqualTo(current().activationId());
        assertThat(world.ssm.deleted()).isEmpty();
    }

    @Test
    void anInstallationRefusedOnlyBecauseItsOwnLostAttemptWentThroughIsUsedNotDeleted() {
        // What an SDK retry of an installation whose first attempt went through gets: the condition it changed itself.
        InMemoryTable refusingItself = spy(world.table);
        doAnswer(call -> {
                    world.table.install(
                            call.getArgument(0), call.getArgument(1), call.getArgument(2), call.getArgument(3));
                    return false;
                })
                .when(refusingItself)
                .install(any(), any(), any(), any());
        world.withSharedActivationStore(refusingItself);

        EnrollmentResult result = enroll("m-1");

        assertThat(result.activationId()).isEqualTo(current().activationId());
        assertThat(world.ssm.deleted()).isEmpty();
    }

    @Test
    void aHandoutRefusedOnlyBecauseItsOwnLostAttemptWentThroughIsACreation() {
        enroll("m-1");
        InMemoryTable refusingItself = spy(world.table);
        doAnswer(call -> {
                    world.table.commit(call.getArgument(0));
                    return CommitResult.SHARED_ACTIVATION_SPENT;
                })
                .when(refusingItself)
                .commit(any());
        world.withEnrollmentStore(refusingItself);

        EnrollmentResult result = enroll("m-2");

        assertThat(result.created()).isTrue();
        assertThat(current().handedOut()).isEqualTo(2);
        assertThat(world.stored(issued).uses()).isEqualTo(2);
    }
}
