package dev.hybridonboarding.enrollment;

import static dev.hybridonboarding.enrollment.EnrollmentWorld.NOW;
import static dev.hybridonboarding.enrollment.EnrollmentWorld.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.doAnswer;
import static org.mockito.Mockito.spy;

import dev.hybridonboarding.activation.ActivationRejectedException;
import dev.hybridonboarding.activation.InstanceTags;
import dev.hybridonboarding.support.DependencyUnavailableException;
import dev.hybridonboarding.testing.FakeSsm;
import dev.hybridonboarding.testing.InMemoryTable;
import dev.hybridonboarding.token.TokenIssuer;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Single-use fleets: an activation per machine, its use spent atomically, nothing left behind on any failure. */
class SingleUseEnrollmentTest {

    private final EnrollmentWorld world = new EnrollmentWorld();

    @AfterEach
    void nothingSecretWasLogged() {
        world.assertNothingSecretWasLogged();
    }

    @Test
    void aMachineGetsAnActivationNamedAndTaggedForItAndTheTokenSpendsOneUse() {
        TokenIssuer.Issued issued = world.token("default", 3);

        EnrollmentResult result = world.enroll(issued, request("m-1", Map.of("rack", "r7")));

        assertThat(result.created()).isTrue();
        assertThat(result.region()).isEqualTo("us-east-1");
        assertThat(result.instanceName()).isEqualTo("web-01");
        FakeSsm.Activation activation =
                world.ssm.activation(result.activationId()).orElseThrow();
        assertThat(activation.spec().registrationLimit()).isEqualTo(1);
        assertThat(activation.spec().defaultInstanceName()).isEqualTo("web-01");
        assertThat(activation.spec().expiresAt())
                .isEqualTo(NOW.plus(Duration.ofHours(1)))
                .isEqualTo(result.expiresAt());
        assertThat(activation.spec().tags())
                .containsEntry("team", "platform")
                .containsEntry("rack", "r7")
                .containsEntry(InstanceTags.FLEET, "default")
                .containsEntry(InstanceTags.ENROLLMENT_ID, result.enrollmentId());
        assertThat(world.stored(issued).uses()).isEqualTo(1);
        assertThat(world.table.activationRecord(result.activationId()))
                .hasValueSatisfying(r -> assertThat(r.enrollmentId()).contains(result.enrollmentId()));
        assertThat(world.table.allEnrollments()).singleElement().satisfies(e -> {
            assertThat(e.requester()).isEqualTo(new Requester(EnrollmentWorld.SOURCE_IP, "curl/8"));
            assertThat(e.acceptedTags()).isEqualTo(Map.of("rack", "r7"));
        });
        assertThat(world.table.retryRecord(issued.token().tokenId(), "m-1"))
                .hasValueSatisfying(retry -> assertThat(retry.sealing()).isEqualTo(RetryRecord.CodeSealing.TOKEN));
    }

    @Test
    void withoutAMachineIdNothingIsKeptForRetries() {
        TokenIssuer.Issued issued = world.token("default", 1);

        world.enroll(issued, request(null, Map.of()));

        assertThat(world.table.allEnrollments())
                .singleElement()
                .satisfies(e -> assertThat(e.request().machineId()).isEmpty());
        assertThat(world.stored(issued).uses()).isEqualTo(1);
    }

    @Test
    void aRetryByTheSameMachineGetsTheSameActivationBackAndSpendsNothing() {
        TokenIssuer.Issued issued = world.token("default", 1);
        EnrollmentResult first = world.enroll(issued, request("m-1", Map.of()));

        EnrollmentResult retry = world.enroll(issued, request("m-1", Map.of()));

        assertThat(retry.created()).isFalse();
        assertThat(retry.activationId()).isEqualTo(first.activationId());
        assertThat(retry.activationCode()).isEqualTo(first.activationCode());
        assertThat(retry.enrollmentId()).isEqualTo(first.enrollmentId());
        assertThat(world.stored(issued).uses()).isEqualTo(1);
        assertThat(world.ssm.created()).isEqualTo(1);
    }

    @Test
    void aRetryThatSendsAnotherHostnameOrOtherTagsIsNotHandedTheEarlierActivation() {
        TokenIssuer.Issued issued = world.token("default", 3);
        EnrollmentResult victim = world.enroll(issued, request("m-1", Map.of("rack", "r1")));

        EnrollmentResult otherTags = world.enroll(issued, request("m-1", Map.of("rack", "r2")));
        EnrollmentResult otherHost = world.enroll(
                issued, new EnrollmentRequest("intruder", Platform.LINUX, Optional.of("m-1"), Map.of("rack", "r2")));

        assertThat(otherTags.created()).isTrue();
        assertThat(otherTags.activationId()).isNotEqualTo(victim.activationId());
        assertThat(otherHost.created()).isTrue();
        assertThat(otherHost.activationId()).isNotIn(victim.activationId(), otherTags.activationId());
        assertThat(world.ssm
                        .activation(otherHost.activationId())
                        .orElseThrow()
                        .spec()
                        .defaultInstanceName())
                .isEqualTo("intruder");
        assertThat(world.stored(issued).uses()).isEqualTo(3);
        assertThat(world.log()).contains("enrollment.retry-request-differs");
    }

    @Test
    void theSealOfARetryRecordIsBoundToTheRequestThatGotIt() {
        TokenIssuer.Issued issued = world.token("default", 2);
        world.enroll(issued, request("m-1", Map.of()));
        RetryRecord stored =
                world.table.retryRecord(issued.token().tokenId(), "m-1").orElseThrow();
        String otherDigest = request("m-1", Map.of("rack", "r9")).digest();

        assertThatThrownBy(() -> new TokenBoundSeal(new SecureRandom())
                        .open(
                                stored.sealedCode(),
                                issued.bearer().secret(),
                                RetryRecord.sealBinding(
                                        issued.token().tokenId(), "m-1", stored.activationId(), otherDigest)))
                .isInstanceOf(TokenBoundSeal.SealBrokenException.class);
    }

    @Test
    void aMachineThatRegisteredAndWasResetGetsANewActivation() {
        TokenIssuer.Issued issued = world.token("default", 2);
        EnrollmentResult first = world.enroll(issued, request("m-1", Map.of()));
        world.ssm.register(first.activationId());

        EnrollmentResult again = world.enroll(issued, request("m-1", Map.of()));

        assertThat(again.created()).isTrue();
        assertThat(again.activationId()).isNotEqualTo(first.activationId());
        assertThat(world.table
                        .retryRecord(issued.token().tokenId(), "m-1")
                        .orElseThrow()
                        .activationId())
                .isEqualTo(again.activationId());
        assertThat(world.stored(issued).uses()).isEqualTo(2);
    }

    @Test
    void aRetryAfterTheActivationNearlyExpiredIsANewEnrollment() {
        TokenIssuer.Issued issued = world.token("default", 2);
        EnrollmentResult first = world.enroll(issued, request("m-1", Map.of()));
        world.clock.advance(Duration.ofMinutes(55));

        EnrollmentResult again = world.enroll(issued, request("m-1", Map.of()));

        assertThat(again.created()).isTrue();
        assertThat(again.activationId()).isNotEqualTo(first.activationId());
    }

    @Test
    void losingTheRaceForTheLastUseDeletesTheActivationItCreated() {
        TokenIssuer.Issued issued = world.token("default", 1);
        world.table
                .faults()
                .beforeNext(InMemoryTable.Operation.COMMIT, () -> world.enroll(issued, request("m-2", Map.of())));

        EnrollmentRejectedException refused = world.refusal(issued, request("m-1", Map.of()));

        assertThat(refused.failure()).isEqualTo(EnrollmentFailure.TOKEN_EXHAUSTED);
        assertThat(world.ssm.live()).hasSize(1);
        assertThat(world.ssm.deleted()).hasSize(1);
        assertThat(world.stored(issued).uses()).isEqualTo(1);
    }

    @Test
    void aConcurrentRequestForTheSameMachineIsAnsweredWithTheWinnersActivation() {
        TokenIssuer.Issued issued = world.token("default", 5);
        EnrollmentResult[] winner = new EnrollmentResult[1];
        world.table
                .faults()
                .beforeNext(
                        InMemoryTable.Operation.COMMIT,
                        () -> winner[0] = world.enroll(issued, request("m-1", Map.of())));

        EnrollmentResult loser = world.enroll(issued, request("m-1", Map.of()));

        assertThat(loser.created()).isFalse();
        assertThat(loser.activationId()).isEqualTo(winner[0].activationId());
        assertThat(world.ssm.live())
                .extracting(FakeSsm.Activation::activationId)
                .containsExactly(winner[0].activationId());
        assertThat(world.stored(issued).uses()).isEqualTo(1);
    }

    @Test
    void aTokenRevokedBetweenReadAndCommitIsInvalidNotExhausted() {
        TokenIssuer.Issued issued = world.token("default", 5);
        world.table
                .faults()
                .beforeNext(
                        InMemoryTable.Operation.COMMIT,
                        () -> world.table.revokeToken(issued.token().tokenId(), NOW));

        assertThat(world.refusal(issued, request(null, Map.of())).failure()).isEqualTo(EnrollmentFailure.INVALID_TOKEN);
        assertThat(world.ssm.live()).isEmpty();
    }

    @Test
    void noActivationIsStartedWithoutTimeToCommitOrCleanUp() {
        TokenIssuer.Issued issued = world.token("default", 1);
        EnrollmentAttempt late = new EnrollmentAttempt(
                issued.bearer().reveal(),
                new Requester(EnrollmentWorld.SOURCE_IP, "curl/8"),
                request(null, Map.of()),
                NOW.plusSeconds(10));

        EnrollmentRejectedException refused = world.refusal(late);

        assertThat(refused.failure()).isEqualTo(EnrollmentFailure.SERVICE_UNAVAILABLE);
        assertThat(world.ssm.created()).isZero();
        assertThat(world.stored(issued).uses()).isZero();
    }

    @Test
    void ssmThrottlingIsTryAgainLaterAndSpendsNothing() {
        TokenIssuer.Issued issued = world.token("default", 1);
        world.ssm
                .faults()
                .failNext(FakeSsm.Operation.CREATE, new DependencyUnavailableException("ThrottlingException", null));

        EnrollmentRejectedException refused = world.refusal(issued, request("m-1", Map.of()));

        assertThat(refused.failure()).isEqualTo(EnrollmentFailure.SERVICE_UNAVAILABLE);
        assertThat(refused.retryAfter()).contains(Duration.ofSeconds(5));
        assertThat(world.stored(issued).uses()).isZero();
    }

    @Test
    void aRoleSsmRefusesIsAFleetMisconfiguration() {
        TokenIssuer.Issued issued = world.token("default", 1);
        world.ssm
                .faults()
                .failNext(
                        FakeSsm.Operation.CREATE,
                        new ActivationRejectedException("ValidationException: Not existing role", null));

        EnrollmentRejectedException refused = world.refusal(issued, request(null, Map.of()));

        assertThat(refused.failure()).isEqualTo(EnrollmentFailure.FLEET_MISCONFIGURED);
        assertThat(refused.getMessage()).contains("instance role");
    }

    @Test
    void aTableOutageAfterCreatingDeletesTheActivationAndIsTryAgainLater() {
        TokenIssuer.Issued issued = world.token("default", 1);
        world.table
                .faults()
                .failNext(
                        InMemoryTable.Operation.COMMIT,
                        new DependencyUnavailableException("ProvisionedThroughputExceeded", null));

        assertThat(world.refusal(issued, request(null, Map.of())).failure())
                .isEqualTo(EnrollmentFailure.SERVICE_UNAVAILABLE);
        assertThat(world.ssm.live()).isEmpty();
        assertThat(world.stored(issued).uses()).isZero();
    }

    @Test
    void aCommitWhoseAnswerWasLostIsAnsweredAsTheCreationItWas() {
        TokenIssuer.Issued issued = world.token("default", 1);
        world.table.faults().loseAnswerOfNext(InMemoryTable.Operation.COMMIT);

        EnrollmentResult result = world.enroll(issued, request("m-1", Map.of()));

        assertThat(result.created()).isTrue();
        assertThat(world.ssm.live())
                .extracting(FakeSsm.Activation::activationId)
                .containsExactly(result.activationId());
    }

    @Test
    void aCommitRefusedOnlyBecauseItsOwnLostAttemptWentThroughIsACreation() {
        // What an SDK retry of a transaction whose first attempt went through gets: the conditions it set itself.
        InMemoryTable refusingItself = spy(world.table);
        doAnswer(call -> {
                    world.table.commit(call.getArgument(0));
                    return CommitResult.MACHINE_ALREADY_ENROLLED;
                })
                .when(refusingItself)
                .commit(any());
        world.withEnrollmentStore(refusingItself);
        TokenIssuer.Issued issued = world.token("default", 2);

        EnrollmentResult result = world.enroll(issued, request("m-1", Map.of()));

        assertThat(result.created()).as("answered 201, not as a replay").isTrue();
        assertThat(world.ssm.live())
                .extracting(FakeSsm.Activation::activationId)
                .containsExactly(result.activationId());
        assertThat(world.stored(issued).uses()).isEqualTo(1);
    }

    @Test
    void whenItCannotBeToldWhetherTheCommitWentThroughTheActivationIsKept() {
        TokenIssuer.Issued issued = world.token("default", 1);
        world.table
                .faults()
                .failNext(InMemoryTable.Operation.COMMIT, new DependencyUnavailableException("socket timeout", null));
        world.table
                .faults()
                .failNext(
                        InMemoryTable.Operation.ENROLLMENT_RECORDED,
                        new DependencyUnavailableException("still down", null));

        assertThat(world.refusal(issued, request(null, Map.of())).failure())
                .isEqualTo(EnrollmentFailure.SERVICE_UNAVAILABLE);
        assertThat(world.ssm.live()).hasSize(1);
        assertThat(world.ssm.deleted()).isEmpty();
    }

    @Test
    void aRefusedCommitWhoseOutcomeCannotBeToldKeepsTheActivation() {
        InMemoryTable refusing = spy(world.table);
        doAnswer(call -> CommitResult.TOKEN_SPENT).when(refusing).commit(any());
        world.withEnrollmentStore(refusing);
        TokenIssuer.Issued issued = world.token("default", 1);
        world.table
                .faults()
                .failNext(
                        InMemoryTable.Operation.ENROLLMENT_RECORDED,
                        new DependencyUnavailableException("still down", null));

        assertThat(world.refusal(issued, request("m-1", Map.of())).failure())
                .isEqualTo(EnrollmentFailure.SERVICE_UNAVAILABLE);
        assertThat(world.ssm.deleted()).isEmpty();
    }

    @Test
    void aRetryRecordThatNoLongerOpensIsTreatedAsLost() {
        TokenIssuer.Issued issued = world.token("default", 2);
        EnrollmentResult first = world.enroll(issued, request("m-1", Map.of()));
        RetryRecord stored =
                world.table.retryRecord(issued.token().tokenId(), "m-1").orElseThrow();
        byte[] altered = stored.sealedCode();
        altered[altered.length - 1] ^= 1;
        world.table.putRetryRecord(
                issued.token().tokenId(),
                new RetryRecord(
                        "m-1",
                        stored.enrollmentId(),
                        stored.activationId(),
                        altered,
                        stored.sealing(),
                        stored.expiresAt(),
                        stored.instanceName(),
                        stored.requestDigest()));

        EnrollmentResult again = world.enroll(issued, request("m-1", Map.of()));

        assertThat(again.created()).isTrue();
        assertThat(again.activationId()).isNotEqualTo(first.activationId());
    }
}
