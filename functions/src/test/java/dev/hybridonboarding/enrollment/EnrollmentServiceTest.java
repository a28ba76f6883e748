package dev.hybridonboarding.enrollment;

import static dev.hybridonboarding.enrollment.EnrollmentFixtures.NOW;
import static dev.hybridonboarding.enrollment.EnrollmentFixtures.activation;
import static dev.hybridonboarding.enrollment.EnrollmentFixtures.request;
import static dev.hybridonboarding.enrollment.EnrollmentFixtures.sharedFleet;
import static dev.hybridonboarding.enrollment.EnrollmentFixtures.singleUseFleet;
import static dev.hybridonboarding.enrollment.EnrollmentFixtures.snapshot;
import static dev.hybridonboarding.enrollment.EnrollmentFixtures.token;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.doThrow;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.verifyNoInteractions;
import static org.mockito.Mockito.when;

import dev.hybridonboarding.activation.ActivationCode;
import dev.hybridonboarding.activation.ActivationRejectedException;
import dev.hybridonboarding.activation.ActivationServiceUnavailableException;
import dev.hybridonboarding.activation.ActivationSpec;
import dev.hybridonboarding.activation.ActivationStatus;
import dev.hybridonboarding.activation.Activations;
import dev.hybridonboarding.activation.InstanceTags;
import dev.hybridonboarding.activation.IssuedActivation;
import dev.hybridonboarding.activation.SharedCodeVault;
import dev.hybridonboarding.activation.TokenBoundSeal;
import dev.hybridonboarding.fleet.Fleet;
import dev.hybridonboarding.log.StructuredLog;
import dev.hybridonboarding.token.EnrollmentToken;
import dev.hybridonboarding.token.TokenIssuer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.mockito.ArgumentCaptor;
import org.mockito.Mock;
import org.mockito.junit.jupiter.MockitoExtension;

@ExtendWith(MockitoExtension.class)
class EnrollmentServiceTest {

    private static final String SOURCE_IP = "203.0.113.10";
    private static final Instant DEADLINE = NOW.plusSeconds(29);

    @Mock
    EnrollmentStore store;
    @Mock
    Activations activations;
    @Mock
    SharedCodeVault vault;

    private final ByteArrayOutputStream logged = new ByteArrayOutputStream();
    private EnrollmentService service;

    @BeforeEach
    void setUp() {
        service = new EnrollmentService(store, activations, vault, singleUseFleet(), "us-east-1", FailurePolicy.DEFAULT,
                Clock.fixed(NOW, ZoneOffset.UTC), EnrollmentFixtures.RANDOM,
                new StructuredLog(new PrintStream(logged, true, StandardCharsets.UTF_8)));
    }

    private final java.util.Set<String> secretsSeen = new java.util.HashSet<>();

    @AfterEach
    void nothingSecretWasLogged() {
        String log = logged.toString(StandardCharsets.UTF_8);
        assertThat(log.contains("hob_")).as("a bearer token was logged").isFalse();
        assertThat(log.contains("Code")).as("an activation code was logged").isFalse();
        assertThat(secretsSeen.stream().filter(log::contains).count()).as("token secrets in the log").isZero();
    }

    private EnrollmentAttempt attempt(TokenIssuer.Issued issued, EnrollmentRequest request) {
        String bearer = issued.bearer().reveal();
        secretsSeen.add(bearer.substring(bearer.lastIndexOf('.') + 1));
        return new EnrollmentAttempt(issued.bearer().reveal(), SOURCE_IP, "curl/8", request, DEADLINE);
    }

    private static EnrollmentRejectedException rejection(Runnable call) {
        try {
            call.run();
        } catch (EnrollmentRejectedException rejected) {
            return rejected;
        }
        throw new AssertionError("expected the enrollment to be rejected");
    }

    @Nested
    class SingleUse {

        @Test
        void createsOneActivationWithFleetAndRequestTagsAndSpendsOneUseAtomically() {
            TokenIssuer.Issued issued = token("default", 3);
            when(store.load(any())).thenReturn(snapshot(issued.token()));
            IssuedActivation created = activation("11111111-2222-3333-4444-555555555555", NOW.plus(Duration.ofHours(1)));
            when(activations.create(any())).thenReturn(created);

            EnrollmentResult result = service.enroll(attempt(issued, request("m-1", Map.of("rack", "r7"))));

            assertThat(result.created()).isTrue();
            assertThat(result.activationId()).isEqualTo(created.activationId());
            assertThat(result.activationCode()).isEqualTo(created.code());
            assertThat(result.region()).isEqualTo("us-east-1");
            assertThat(result.instanceName()).isEqualTo("web-01");

            ArgumentCaptor<ActivationSpec> spec = ArgumentCaptor.forClass(ActivationSpec.class);
            verify(activations).create(spec.capture());
            assertThat(spec.getValue().registrationLimit()).isEqualTo(1);
            assertThat(spec.getValue().expiresAt()).isEqualTo(NOW.plus(Duration.ofHours(1)));
            assertThat(spec.getValue().defaultInstanceName()).isEqualTo("web-01");
            assertThat(spec.getValue().instanceRole()).isEqualTo(EnrollmentFixtures.ROLE);
            assertThat(spec.getValue().tags()).containsEntry("team", "platform").containsEntry("rack", "r7")
                    .containsEntry(InstanceTags.FLEET, "default")
                    .containsEntry(InstanceTags.ENROLLMENT_ID, result.enrollmentId());

            ArgumentCaptor<EnrollmentCommit> commit = ArgumentCaptor.forClass(EnrollmentCommit.class);
            verify(store).commit(commit.capture());
            EnrollmentCommit written = commit.getValue();
            assertThat(written.tokenId()).isEqualTo(issued.token().tokenId());
            assertThat(written.enrollment().sourceIp()).isEqualTo(SOURCE_IP);
            assertThat(written.enrollment().userAgent()).isEqualTo("curl/8");
            assertThat(written.enrollment().requestedTags()).containsEntry("rack", "r7");
            assertThat(written.enrollment().activationId()).isEqualTo(created.activationId());
            assertThat(written.singleUseActivation()).isPresent();
            assertThat(written.sharedActivationId()).isEmpty();
            RetryRecord retry = written.retryRecord().orElseThrow();
            assertThat(retry.machineId()).isEqualTo("m-1");
            assertThat(retry.sealing()).isEqualTo(RetryRecord.CodeSealing.TOKEN);
            assertThat(new String(retry.sealedCode(), StandardCharsets.ISO_8859_1)).doesNotContain(created.code().reveal());
            assertThat(new TokenBoundSeal(EnrollmentFixtures.RANDOM).open(retry.sealedCode(), issued.bearer().secret(),
                    RetryRecord.sealBinding(issued.token().tokenId(), "m-1", created.activationId()))).isEqualTo(created.code());
        }

        @Test
        void withoutMachineIdThereIsNoRetryRecord() {
            TokenIssuer.Issued issued = token("default", 1);
            when(store.load(any())).thenReturn(snapshot(issued.token()));
            when(activations.create(any())).thenReturn(activation("11111111-2222-3333-4444-555555555555", NOW.plusSeconds(3600)));

            service.enroll(attempt(issued, request(null, Map.of())));

            ArgumentCaptor<EnrollmentCommit> commit = ArgumentCaptor.forClass(EnrollmentCommit.class);
            verify(store).commit(commit.capture());
            assertThat(commit.getValue().retryRecord()).isEmpty();
        }

        @Test
        void aRetryBySameMachineGetsTheSameActivationAndSpendsNothing() {
            TokenIssuer.Issued issued = token("default", 1);
            EnrollmentToken spent = EnrollmentFixtures.withUses(issued.token(), 1);
            String activationId = "11111111-2222-3333-4444-555555555555";
            ActivationCode code = new ActivationCode("AbCdEfGhIjKlMnOpQrSt");
            byte[] sealed = new TokenBoundSeal(EnrollmentFixtures.RANDOM).seal(code, issued.bearer().secret(),
                    RetryRecord.sealBinding(spent.tokenId(), "m-1", activationId));
            RetryRecord retry = new RetryRecord("m-1", "enr-first", activationId, sealed, RetryRecord.CodeSealing.TOKEN,
                    NOW.plus(Duration.ofMinutes(50)), "web-01");
            when(store.load(any())).thenReturn(new EnrollmentSnapshot(Optional.of(spent), Optional.empty(), Optional.empty(),
                    Optional.of(retry), 0, 0));
            when(activations.status(activationId)).thenReturn(Optional.of(new ActivationStatus(0, 1, false)));

            EnrollmentResult result = service.enroll(attempt(issued, request("m-1", Map.of())));

            assertThat(result.created()).isFalse();
            assertThat(result.activationId()).isEqualTo(activationId);
            assertThat(result.activationCode()).isEqualTo(code);
            assertThat(result.enrollmentId()).isEqualTo("enr-first");
            verify(activations, never()).create(any());
            verify(store, never()).commit(any());
        }

        @Test
        void aRetryAfterTheMachineRegisteredWithItsActivationGetsANewOneAndReplacesTheRecord() {
            TokenIssuer.Issued issued = token("default", 2);
            String spentId = "11111111-2222-3333-4444-555555555555";
            byte[] sealed = new TokenBoundSeal(EnrollmentFixtures.RANDOM).seal(new ActivationCode("AbCdEfGhIjKlMnOpQrSt"),
                    issued.bearer().secret(), RetryRecord.sealBinding(issued.token().tokenId(), "m-1", spentId));
            RetryRecord used = new RetryRecord("m-1", "enr-first", spentId, sealed, RetryRecord.CodeSealing.TOKEN,
                    NOW.plus(Duration.ofMinutes(50)), "web-01");
            when(store.load(any())).thenReturn(new EnrollmentSnapshot(Optional.of(EnrollmentFixtures.withUses(issued.token(), 1)),
                    Optional.empty(), Optional.empty(), Optional.of(used), 0, 0));
            when(activations.status(spentId)).thenReturn(Optional.of(new ActivationStatus(1, 1, false)));
            when(activations.create(any())).thenReturn(activation("99999999-2222-3333-4444-555555555555", NOW.plusSeconds(3600)));

            EnrollmentResult result = service.enroll(attempt(issued, request("m-1", Map.of())));

            assertThat(result.created()).isTrue();
            ArgumentCaptor<EnrollmentCommit> commit = ArgumentCaptor.forClass(EnrollmentCommit.class);
            verify(store).commit(commit.capture());
            assertThat(commit.getValue().replacedRetryActivationId()).contains(spentId);
        }

        @Test
        void aRetryRecordThatNoLongerOpensIsTreatedAsLost() {
            TokenIssuer.Issued issued = token("default", 2);
            RetryRecord garbled = new RetryRecord("m-1", "enr-first", "11111111-2222-3333-4444-555555555555", new byte[] {1, 2, 3},
                    RetryRecord.CodeSealing.TOKEN, NOW.plus(Duration.ofMinutes(50)), "web-01");
            when(store.load(any())).thenReturn(new EnrollmentSnapshot(Optional.of(issued.token()), Optional.empty(), Optional.empty(),
                    Optional.of(garbled), 0, 0));
            when(activations.create(any())).thenReturn(activation("99999999-2222-3333-4444-555555555555", NOW.plusSeconds(3600)));

            assertThat(service.enroll(attempt(issued, request("m-1", Map.of()))).created()).isTrue();
        }

        @Test
        void aTokenRevokedBetweenReadAndCommitIsInvalidNotExhausted() {
            TokenIssuer.Issued issued = token("default", 3);
            when(store.load(any())).thenReturn(snapshot(issued.token()));
            when(activations.create(any())).thenReturn(activation("11111111-2222-3333-4444-555555555555", NOW.plusSeconds(3600)));
            doThrow(new CommitRejectedException(CommitRejectedException.Reason.TOKEN_INVALIDATED)).when(store).commit(any());

            assertThat(rejection(() -> service.enroll(attempt(issued, request(null, Map.of())))).failure())
                    .isEqualTo(EnrollmentFailure.INVALID_TOKEN);
            verify(activations).delete("11111111-2222-3333-4444-555555555555");
        }

        @Test
        void noActivationIsStartedWithoutTimeToCommitOrCleanUp() {
            TokenIssuer.Issued issued = token("default", 1);
            when(store.load(any())).thenReturn(snapshot(issued.token()));

            EnrollmentRejectedException rejected = rejection(() -> service.enroll(
                    new EnrollmentAttempt(issued.bearer().reveal(), SOURCE_IP, null, request(null, Map.of()), NOW.plusSeconds(4))));

            assertThat(rejected.failure()).isEqualTo(EnrollmentFailure.SERVICE_UNAVAILABLE);
            verifyNoInteractions(activations);
        }

        @Test
        void aRetryAfterTheActivationNearlyExpiredIsANewEnrollment() {
            TokenIssuer.Issued issued = token("default", 2);
            RetryRecord stale = new RetryRecord("m-1", "enr-first", "11111111-2222-3333-4444-555555555555", new byte[] {1, 2, 3},
                    RetryRecord.CodeSealing.TOKEN, NOW.plus(Duration.ofMinutes(5)), "web-01");
            when(store.load(any())).thenReturn(new EnrollmentSnapshot(Optional.of(EnrollmentFixtures.withUses(issued.token(), 1)),
                    Optional.empty(), Optional.empty(), Optional.of(stale), 0, 0));
            when(activations.create(any())).thenReturn(activation("99999999-2222-3333-4444-555555555555", NOW.plusSeconds(3600)));

            EnrollmentResult result = service.enroll(attempt(issued, request("m-1", Map.of())));

            assertThat(result.created()).isTrue();
            assertThat(result.activationId()).startsWith("99999999");
        }

        @Test
        void losingTheRaceForTheLastUseDeletesTheActivationItCreated() {
            TokenIssuer.Issued issued = token("default", 1);
            when(store.load(any())).thenReturn(snapshot(issued.token()));
            when(activations.create(any())).thenReturn(activation("11111111-2222-3333-4444-555555555555", NOW.plusSeconds(3600)));
            doThrow(new CommitRejectedException(CommitRejectedException.Reason.TOKEN_SPENT)).when(store).commit(any());

            EnrollmentRejectedException rejected = rejection(() -> service.enroll(attempt(issued, request("m-1", Map.of()))));

            assertThat(rejected.failure()).isEqualTo(EnrollmentFailure.TOKEN_EXHAUSTED);
            verify(activations).delete("11111111-2222-3333-4444-555555555555");
        }

        @Test
        void aConcurrentRequestForTheSameMachineIsAnsweredWithTheWinnersActivation() {
            TokenIssuer.Issued issued = token("default", 5);
            String winnerId = "22222222-2222-3333-4444-555555555555";
            ActivationCode winnerCode = new ActivationCode("WinnerCodeWinnerCode");
            RetryRecord winner = new RetryRecord("m-1", "enr-winner", winnerId,
                    new TokenBoundSeal(EnrollmentFixtures.RANDOM).seal(winnerCode, issued.bearer().secret(),
                            RetryRecord.sealBinding(issued.token().tokenId(), "m-1", winnerId)),
                    RetryRecord.CodeSealing.TOKEN, NOW.plus(Duration.ofMinutes(60)), "web-01");
            when(store.load(any()))
                    .thenReturn(snapshot(issued.token()))
                    .thenReturn(new EnrollmentSnapshot(Optional.of(EnrollmentFixtures.withUses(issued.token(), 1)), Optional.empty(),
                            Optional.empty(), Optional.of(winner), 0, 0));
            when(activations.create(any())).thenReturn(activation("11111111-2222-3333-4444-555555555555", NOW.plusSeconds(3600)));
            when(activations.status(winnerId)).thenReturn(Optional.of(new ActivationStatus(0, 1, false)));
            doThrow(new CommitRejectedException(CommitRejectedException.Reason.MACHINE_ALREADY_ENROLLED)).when(store).commit(any());

            EnrollmentResult result = service.enroll(attempt(issued, request("m-1", Map.of())));

            assertThat(result.created()).isFalse();
            assertThat(result.activationId()).isEqualTo(winnerId);
            verify(activations).delete("11111111-2222-3333-4444-555555555555");
        }

        @Test
        void ssmThrottlingIsA503WithRetryAfterAndSpendsNothing() {
            TokenIssuer.Issued issued = token("default", 1);
            when(store.load(any())).thenReturn(snapshot(issued.token()));
            when(activations.create(any())).thenThrow(new ActivationServiceUnavailableException("ThrottlingException", null));

            EnrollmentRejectedException rejected = rejection(() -> service.enroll(attempt(issued, request("m-1", Map.of()))));

            assertThat(rejected.failure()).isEqualTo(EnrollmentFailure.SERVICE_UNAVAILABLE);
            assertThat(rejected.retryAfter()).contains(Duration.ofSeconds(5));
            verify(store, never()).commit(any());
        }

        @Test
        void aTableOutageAfterCreatingDeletesTheActivationAndIsA503() {
            TokenIssuer.Issued issued = token("default", 1);
            when(store.load(any())).thenReturn(snapshot(issued.token()));
            when(activations.create(any())).thenReturn(activation("11111111-2222-3333-4444-555555555555", NOW.plusSeconds(3600)));
            doThrow(new StoreUnavailableException("ProvisionedThroughputExceeded", null)).when(store).commit(any());
            when(store.enrollmentRecorded(any())).thenReturn(false);

            EnrollmentRejectedException rejected = rejection(() -> service.enroll(attempt(issued, request("m-1", Map.of()))));

            assertThat(rejected.failure()).isEqualTo(EnrollmentFailure.SERVICE_UNAVAILABLE);
            verify(activations).delete("11111111-2222-3333-4444-555555555555");
        }

        @Test
        void aCommitWhoseAnswerWasLostButWentThroughIsASuccess() {
            TokenIssuer.Issued issued = token("default", 1);
            when(store.load(any())).thenReturn(snapshot(issued.token()));
            when(activations.create(any())).thenReturn(activation("11111111-2222-3333-4444-555555555555", NOW.plusSeconds(3600)));
            doThrow(new StoreUnavailableException("socket timeout", null)).when(store).commit(any());
            when(store.enrollmentRecorded(any())).thenReturn(true);

            assertThat(service.enroll(attempt(issued, request(null, Map.of()))).created()).isTrue();
            verify(activations, never()).delete(any());
        }

        @Test
        void aCommitRefusedOnlyBecauseItsOwnLostAttemptWentThroughIsACreation() {
            TokenIssuer.Issued issued = token("default", 1);
            when(store.load(any())).thenReturn(snapshot(issued.token()));
            when(activations.create(any())).thenReturn(activation("11111111-2222-3333-4444-555555555555", NOW.plusSeconds(3600)));
            doThrow(new CommitRejectedException(CommitRejectedException.Reason.MACHINE_ALREADY_ENROLLED)).when(store).commit(any());
            ArgumentCaptor<String> checked = ArgumentCaptor.forClass(String.class);
            when(store.enrollmentRecorded(checked.capture())).thenReturn(true);

            EnrollmentResult result = service.enroll(attempt(issued, request("m-1", Map.of())));

            assertThat(result.created()).as("answered 201, not as a replay").isTrue();
            assertThat(checked.getValue()).isEqualTo(result.enrollmentId());
            verify(activations, never()).delete(any());
            verify(store).load(any());
        }

        @Test
        void aRefusedCommitWhoseOutcomeCannotBeToldKeepsTheActivationAndIsA503() {
            TokenIssuer.Issued issued = token("default", 1);
            when(store.load(any())).thenReturn(snapshot(issued.token()));
            when(activations.create(any())).thenReturn(activation("11111111-2222-3333-4444-555555555555", NOW.plusSeconds(3600)));
            doThrow(new CommitRejectedException(CommitRejectedException.Reason.TOKEN_SPENT)).when(store).commit(any());
            when(store.enrollmentRecorded(any())).thenThrow(new StoreUnavailableException("still down", null));

            assertThat(rejection(() -> service.enroll(attempt(issued, request("m-1", Map.of())))).failure())
                    .isEqualTo(EnrollmentFailure.SERVICE_UNAVAILABLE);
            verify(activations, never()).delete(any());
        }

        @Test
        void whenItCannotBeToldWhetherTheCommitWentThroughTheActivationIsKept() {
            TokenIssuer.Issued issued = token("default", 1);
            when(store.load(any())).thenReturn(snapshot(issued.token()));
            when(activations.create(any())).thenReturn(activation("11111111-2222-3333-4444-555555555555", NOW.plusSeconds(3600)));
            doThrow(new StoreUnavailableException("socket timeout", null)).when(store).commit(any());
            when(store.enrollmentRecorded(any())).thenThrow(new StoreUnavailableException("still down", null));

            assertThat(rejection(() -> service.enroll(attempt(issued, request(null, Map.of())))).failure())
                    .isEqualTo(EnrollmentFailure.SERVICE_UNAVAILABLE);
            verify(activations, never()).delete(any());
        }

        @Test
        void aRoleSsmRefusesIsAFleetMisconfigurationNotAStackTrace() {
            TokenIssuer.Issued issued = token("default", 1);
            when(store.load(any())).thenReturn(snapshot(issued.token()));
            when(activations.create(any())).thenThrow(new ActivationRejectedException("ValidationException: Not existing role", null));

            EnrollmentRejectedException rejected = rejection(() -> service.enroll(attempt(issued, request(null, Map.of()))));

            assertThat(rejected.failure()).isEqualTo(EnrollmentFailure.FLEET_MISCONFIGURED);
            assertThat(rejected.getMessage()).contains("instance role");
        }
    }

    @Nested
    class Authentication {

        @Test
        void aMalformedTokenIsRejectedWithoutReadingAnything() {
            EnrollmentRejectedException rejected = rejection(() -> service.enroll(
                    new EnrollmentAttempt("not-a-token", SOURCE_IP, null, request(null, Map.of()), DEADLINE)));

            assertThat(rejected.failure()).isEqualTo(EnrollmentFailure.INVALID_TOKEN);
            verifyNoInteractions(store, activations);
        }

        @Test
        void unknownWrongExpiredAndRevokedTokensGetOneGenericAnswerAndCountAsFailures() {
            TokenIssuer.Issued issued = token("default", 1);
            TokenIssuer.Issued other = token("default", 1);
            EnrollmentToken sameIdOtherSecret = new EnrollmentToken(issued.token().tokenId(), "default", other.token().secretHash(), 1, 0,
                    issued.token().expiresAt(), List.of(), null, false, NOW);
            List<EnrollmentSnapshot> cases = List.of(
                    new EnrollmentSnapshot(Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(), 0, 0),
                    snapshot(sameIdOtherSecret),
                    snapshot(EnrollmentFixtures.expired(issued.token())),
                    snapshot(EnrollmentFixtures.revoked(issued.token())));
            for (EnrollmentSnapshot snapshot : cases) {
                when(store.load(any())).thenReturn(snapshot);
                EnrollmentRejectedException rejected = rejection(() -> service.enroll(attempt(issued, request(null, Map.of()))));
                assertThat(rejected.failure()).isEqualTo(EnrollmentFailure.INVALID_TOKEN);
                assertThat(rejected.getMessage()).isEqualTo("the enrollment token is invalid, expired or revoked");
            }
            verify(store, times(4)).recordFailure(eq(SOURCE_IP), any(), any(), any());
            verifyNoInteractions(activations);
            assertThat(logged.toString(StandardCharsets.UTF_8))
                    .contains("unknown-token", "wrong-secret", "expired", "revoked");
        }

        @Test
        void aSourceOutsideTheTokensNetworksIsForbidden() {
            TokenIssuer.Issued issued = token("default", 1);
            when(store.load(any())).thenReturn(snapshot(EnrollmentFixtures.withCidrs(issued.token(), List.of("10.0.0.0/8"))));

            EnrollmentRejectedException rejected = rejection(() -> service.enroll(attempt(issued, request(null, Map.of()))));

            assertThat(rejected.failure()).isEqualTo(EnrollmentFailure.SOURCE_NOT_ALLOWED);
            verifyNoInteractions(activations);
        }

        @Test
        void aSourceInsideTheTokensNetworksIsAccepted() {
            TokenIssuer.Issued issued = token("default", 1);
            when(store.load(any())).thenReturn(snapshot(EnrollmentFixtures.withCidrs(issued.token(), List.of("203.0.113.0/24"))));
            when(activations.create(any())).thenReturn(activation("11111111-2222-3333-4444-555555555555", NOW.plusSeconds(3600)));

            assertThat(service.enroll(attempt(issued, request(null, Map.of()))).created()).isTrue();
        }

        @Test
        void aTokenWithNoUsesLeftIsForbidden() {
            TokenIssuer.Issued issued = token("default", 2);
            when(store.load(any())).thenReturn(snapshot(EnrollmentFixtures.withUses(issued.token(), 2)));

            assertThat(rejection(() -> service.enroll(attempt(issued, request(null, Map.of())))).failure())
                    .isEqualTo(EnrollmentFailure.TOKEN_EXHAUSTED);
            verifyNoInteractions(activations);
        }
    }

    @Nested
    class AbuseControls {

        @Test
        void failuresFromASourceOverItsLimitAreToldToSlowDownWithoutAnotherWrite() {
            TokenIssuer.Issued issued = token("default", 1);
            when(store.load(any())).thenReturn(new EnrollmentSnapshot(Optional.empty(), Optional.empty(), Optional.empty(),
                    Optional.empty(), FailurePolicy.DEFAULT.sourceLimit(), 0));

            EnrollmentRejectedException rejected = rejection(() -> service.enroll(attempt(issued, request(null, Map.of()))));

            assertThat(rejected.failure()).isEqualTo(EnrollmentFailure.TOO_MANY_FAILURES);
            assertThat(rejected.retryAfter()).hasValueSatisfying(after -> assertThat(after).isPositive()
                    .isLessThanOrEqualTo(FailurePolicy.DEFAULT.window()));
            verify(store, never()).recordFailure(anyString(), any(), any(), any());
            verifyNoInteractions(activations);
        }

        @Test
        void aValidTokenFromASourceOverItsLimitStillEnrolls() {
            TokenIssuer.Issued issued = token("default", 1);
            when(store.load(any())).thenReturn(new EnrollmentSnapshot(Optional.of(issued.token()), Optional.empty(), Optional.empty(),
                    Optional.empty(), FailurePolicy.DEFAULT.sourceLimit() * 10, 0));
            when(activations.create(any())).thenReturn(activation("11111111-2222-3333-4444-555555555555", NOW.plusSeconds(3600)));

            assertThat(service.enroll(attempt(issued, request(null, Map.of()))).created()).isTrue();
        }

        @Test
        void ipv6FailuresAreCountedPerSlash64AndMappedIpv4PerAddress() {
            assertThat(FailurePolicy.failureSource("2001:db8:1:2:aaaa::1")).isEqualTo(FailurePolicy.failureSource("2001:db8:1:2:bbbb::7"))
                    .isEqualTo("2001:db8:1:2::/64");
            assertThat(FailurePolicy.failureSource("203.0.113.10")).isEqualTo("203.0.113.10");
            assertThat(FailurePolicy.failureSource("::ffff:203.0.113.10")).isEqualTo("203.0.113.10");
        }

        @Test
        void aTokenOfOneFleetPresentedAsAnotherFleetsIsInvalid() {
            TokenIssuer.Issued issued = token("edge", 5);
            TokenIssuer.Issued forged = new TokenIssuer.Issued(issued.token(),
                    new dev.hybridonboarding.token.BearerToken("default", issued.token().tokenId(), issued.bearer().secret()));
            when(store.load(any())).thenReturn(snapshot(issued.token()));

            assertThat(rejection(() -> service.enroll(attempt(forged, request(null, Map.of())))).failure())
                    .isEqualTo(EnrollmentFailure.INVALID_TOKEN);
            verifyNoInteractions(activations);
        }

        @Test
        void wrongSecretsOnABusyTokenIdAreSlowedDown() {
            TokenIssuer.Issued issued = token("default", 1);
            TokenIssuer.Issued guess = new TokenIssuer.Issued(issued.token(),
                    new dev.hybridonboarding.token.BearerToken("default", issued.token().tokenId(), token("default", 1).bearer().secret()));
            when(store.load(any())).thenReturn(new EnrollmentSnapshot(Optional.of(issued.token()), Optional.empty(), Optional.empty(),
                    Optional.empty(), 0, FailurePolicy.DEFAULT.tokenLimit()));

            assertThat(rejection(() -> service.enroll(attempt(guess, request(null, Map.of())))).failure())
                    .isEqualTo(EnrollmentFailure.TOO_MANY_FAILURES);
        }

        @Test
        void theRightfulHolderIsNotLockedOutByOthersGuessingItsTokenId() {
            TokenIssuer.Issued issued = token("default", 1);
            when(store.load(any())).thenReturn(new EnrollmentSnapshot(Optional.of(issued.token()), Optional.empty(), Optional.empty(),
                    Optional.empty(), 0, 1000));
            when(activations.create(any())).thenReturn(activation("11111111-2222-3333-4444-555555555555", NOW.plusSeconds(3600)));

            assertThat(service.enroll(attempt(issued, request(null, Map.of()))).created()).isTrue();
        }
    }

    @Nested
    class Fleets {

        @Test
        void aTokenForAFleetThatNoLongerExistsIsForbidden() {
            TokenIssuer.Issued issued = token("gone", 1);
            when(store.load(any())).thenReturn(snapshot(issued.token()));

            assertThat(rejection(() -> service.enroll(attempt(issued, request(null, Map.of())))).failure())
                    .isEqualTo(EnrollmentFailure.FLEET_NOT_FOUND);
        }

        @Test
        void aDisabledFleetEnrollsNobody() {
            TokenIssuer.Issued issued = token("default", 1);
            when(store.load(any())).thenReturn(new EnrollmentSnapshot(Optional.of(issued.token()),
                    Optional.of(singleUseFleet().withEnabled(false).withVersion(2)), Optional.empty(), Optional.empty(), 0, 0));

            assertThat(rejection(() -> service.enroll(attempt(issued, request(null, Map.of())))).failure())
                    .isEqualTo(EnrollmentFailure.FLEET_DISABLED);
            verifyNoInteractions(activations);
        }

        @Test
        void aStoredFleetOverridesTheTemplateDefault() {
            TokenIssuer.Issued issued = token("default", 1);
            Fleet stored = singleUseFleet().withTags(Map.of("owner", "ops")).withVersion(3);
            when(store.load(any())).thenReturn(new EnrollmentSnapshot(Optional.of(issued.token()), Optional.of(stored), Optional.empty(),
                    Optional.empty(), 0, 0));
            when(activations.create(any())).thenReturn(activation("11111111-2222-3333-4444-555555555555", NOW.plusSeconds(3600)));

            service.enroll(attempt(issued, request(null, Map.of())));

            ArgumentCaptor<ActivationSpec> spec = ArgumentCaptor.forClass(ActivationSpec.class);
            verify(activations).create(spec.capture());
            assertThat(spec.getValue().tags()).containsEntry("owner", "ops").doesNotContainKey("team");
        }

        @Test
        void requestTagsTheFleetDoesNotAcceptAreForbidden() {
            TokenIssuer.Issued issued = token("default", 1);
            when(store.load(any())).thenReturn(snapshot(issued.token()));

            EnrollmentRejectedException rejected = rejection(() -> service.enroll(attempt(issued, request(null, Map.of("owner", "me")))));

            assertThat(rejected.failure()).isEqualTo(EnrollmentFailure.TAG_NOT_ACCEPTED);
            assertThat(rejected.getMessage()).contains("owner").contains("[env, rack]");
            verifyNoInteractions(activations);
        }
    }

    @Nested
    class Shared {

        private final Fleet fleet = sharedFleet();
        private final ActivationCode code = new ActivationCode("SharedCodeSharedCode");

        private EnrollmentSnapshot snapshot(TokenIssuer.Issued issued, SharedActivation shared) {
            return new EnrollmentSnapshot(Optional.of(issued.token()), Optional.of(fleet), Optional.ofNullable(shared), Optional.empty(), 0, 0);
        }

        private SharedActivation current(int handedOut, Instant expiresAt) {
            return new SharedActivation("33333333-2222-3333-4444-555555555555", new byte[] {7, 7}, expiresAt, 3, handedOut,
                    NOW.minus(Duration.ofDays(1)));
        }

        @Test
        void handsOutTheCurrentActivationAndCountsTheHandout() {
            TokenIssuer.Issued issued = token("edge", 10);
            SharedActivation shared = current(1, NOW.plus(Duration.ofDays(6)));
            when(store.load(any())).thenReturn(snapshot(issued, shared));
            when(vault.open(any(), eq("edge"), eq(shared.activationId()))).thenReturn(code);

            EnrollmentResult result = service.enroll(attempt(issued, request("m-1", Map.of())));

            assertThat(result.activationId()).isEqualTo(shared.activationId());
            assertThat(result.activationCode()).isEqualTo(code);
            verifyNoInteractions(activations);
            ArgumentCaptor<EnrollmentCommit> commit = ArgumentCaptor.forClass(EnrollmentCommit.class);
            verify(store).commit(commit.capture());
            assertThat(commit.getValue().sharedActivationId()).contains(shared.activationId());
            assertThat(commit.getValue().handoutDeadline()).isEqualTo(NOW.plus(EnrollmentService.HANDOUT_MARGIN));
            assertThat(commit.getValue().retryRecord().orElseThrow().sealing()).isEqualTo(RetryRecord.CodeSealing.VAULT);
        }

        @Test
        void aFullActivationIsReplacedBeforeAnyoneGetsIt() {
            TokenIssuer.Issued issued = token("edge", 10);
            SharedActivation full = current(3, NOW.plus(Duration.ofDays(6)));
            when(store.load(any())).thenReturn(snapshot(issued, full));
            IssuedActivation fresh = activation("44444444-2222-3333-4444-555555555555", NOW.plus(fleet.activationLifetime()));
            when(activations.create(any())).thenReturn(fresh);
            when(vault.seal(fresh.code(), "edge", fresh.activationId())).thenReturn(new byte[] {9});
            when(store.acquireInstallLease(eq("edge"), any(), any(), any())).thenReturn(true);
            when(store.installSharedActivation(eq("edge"), eq(Optional.of(full.activationId())), any(), any())).thenReturn(true);
            when(vault.open(any(), eq("edge"), eq(fresh.activationId()))).thenReturn(fresh.code());

            EnrollmentResult result = service.enroll(attempt(issued, request(null, Map.of())));

            assertThat(result.activationId()).isEqualTo(fresh.activationId());
            ArgumentCaptor<ActivationSpec> spec = ArgumentCaptor.forClass(ActivationSpec.class);
            verify(activations).create(spec.capture());
            assertThat(spec.getValue().registrationLimit()).isEqualTo(3);
            assertThat(spec.getValue().expiresAt()).isEqualTo(NOW.plus(fleet.activationLifetime()));
        }

        @Test
        void anActivationAboutToExpireIsNeverHandedOut() {
            TokenIssuer.Issued issued = token("edge", 10);
            SharedActivation expiring = current(0, NOW.plus(Duration.ofMinutes(5)));
            when(store.load(any())).thenReturn(snapshot(issued, expiring));
            IssuedActivation fresh = activation("44444444-2222-3333-4444-555555555555", NOW.plus(fleet.activationLifetime()));
            when(activations.create(any())).thenReturn(fresh);
            when(vault.seal(any(), any(), any())).thenReturn(new byte[] {9});
            when(store.acquireInstallLease(any(), any(), any(), any())).thenReturn(true);
            when(store.installSharedActivation(any(), any(), any(), any())).thenReturn(true);
            when(vault.open(any(), any(), any())).thenReturn(fresh.code());

            assertThat(service.enroll(attempt(issued, request(null, Map.of()))).activationId()).isEqualTo(fresh.activationId());
        }

        @Test
        void whenAnotherRequestInstalledANewActivationFirstTheLoserDeletesItsOwnAndUsesTheWinners() {
            TokenIssuer.Issued issued = token("edge", 10);
            when(store.load(any())).thenReturn(snapshot(issued, null));
            IssuedActivation mine = activation("55555555-2222-3333-4444-555555555555", NOW.plus(fleet.activationLifetime()));
            when(activations.create(any())).thenReturn(mine);
            when(vault.seal(any(), any(), any())).thenReturn(new byte[] {9});
            when(store.acquireInstallLease(any(), any(), any(), any())).thenReturn(true);
            when(store.installSharedActivation(any(), eq(Optional.empty()), any(), any())).thenReturn(false);
            SharedActivation winners = current(1, NOW.plus(Duration.ofDays(7)));
            when(store.sharedActivation("edge")).thenReturn(Optional.empty(), Optional.of(winners));
            when(vault.open(any(), eq("edge"), eq(winners.activationId()))).thenReturn(code);

            EnrollmentResult result = service.enroll(attempt(issued, request(null, Map.of())));

            assertThat(result.activationId()).isEqualTo(winners.activationId());
            verify(activations).delete(mine.activationId());
        }

        @Test
        void aHandoutThatLosesTheRaceForTheLastSlotRotatesAndRetries() {
            TokenIssuer.Issued issued = token("edge", 10);
            SharedActivation almostFull = current(2, NOW.plus(Duration.ofDays(6)));
            SharedActivation nowFull = current(3, NOW.plus(Duration.ofDays(6)));
            when(store.load(any())).thenReturn(snapshot(issued, almostFull));
            when(vault.open(any(), any(), any())).thenReturn(code);
            doThrow(new CommitRejectedException(CommitRejectedException.Reason.SHARED_ACTIVATION_SPENT))
                    .doNothing().when(store).commit(any());
            when(store.sharedActivation("edge")).thenReturn(Optional.of(nowFull));
            IssuedActivation fresh = activation("44444444-2222-3333-4444-555555555555", NOW.plus(fleet.activationLifetime()));
            when(activations.create(any())).thenReturn(fresh);
            when(vault.seal(any(), any(), any())).thenReturn(new byte[] {9});
            when(store.acquireInstallLease(any(), any(), any(), any())).thenReturn(true);
            when(store.installSharedActivation(eq("edge"), eq(Optional.of(nowFull.activationId())), any(), any())).thenReturn(true);

            EnrollmentResult result = service.enroll(attempt(issued, request(null, Map.of())));

            assertThat(result.activationId()).isEqualTo(fresh.activationId());
            verify(store, times(2)).commit(any());
        }

        @Test
        void aHandoutRefusedOnlyBecauseItsOwnLostAttemptWentThroughIsACreation() {
            TokenIssuer.Issued issued = token("edge", 10);
            SharedActivation shared = current(1, NOW.plus(Duration.ofDays(6)));
            when(store.load(any())).thenReturn(snapshot(issued, shared));
            when(vault.open(any(), eq("edge"), eq(shared.activationId()))).thenReturn(code);
            doThrow(new CommitRejectedException(CommitRejectedException.Reason.MACHINE_ALREADY_ENROLLED)).when(store).commit(any());
            when(store.enrollmentRecorded(any())).thenReturn(true);

            EnrollmentResult result = service.enroll(attempt(issued, request("m-1", Map.of())));

            assertThat(result.created()).isTrue();
            assertThat(result.activationId()).isEqualTo(shared.activationId());
            verify(store).commit(any());
        }

        @Test
        void aKmsOutageWhileSealingANewActivationDeletesItAndIsA503() {
            TokenIssuer.Issued issued = token("edge", 10);
            when(store.load(any())).thenReturn(snapshot(issued, null));
            IssuedActivation fresh = activation("44444444-2222-3333-4444-555555555555", NOW.plus(fleet.activationLifetime()));
            when(store.acquireInstallLease(any(), any(), any(), any())).thenReturn(true);
            when(activations.create(any())).thenReturn(fresh);
            when(vault.seal(any(), any(), any())).thenThrow(new ActivationServiceUnavailableException("KMS throttled", null));

            assertThatThrownBy(() -> service.enroll(attempt(issued, request(null, Map.of()))))
                    .isInstanceOf(EnrollmentRejectedException.class)
                    .extracting(error -> ((EnrollmentRejectedException) error).failure())
                    .isEqualTo(EnrollmentFailure.SERVICE_UNAVAILABLE);
            verify(activations).delete(fresh.activationId());
            verify(store).releaseInstallLease("edge");
            verify(store, never()).commit(any());
        }

        @Test
        void anyFailureAfterCreatingASharedActivationDeletesIt() {
            TokenIssuer.Issued issued = token("edge", 10);
            when(store.load(any())).thenReturn(snapshot(issued, null));
            when(store.acquireInstallLease(any(), any(), any(), any())).thenReturn(true);
            IssuedActivation fresh = activation("44444444-2222-3333-4444-555555555555", NOW.plus(fleet.activationLifetime()));
            when(activations.create(any())).thenReturn(fresh);
            when(vault.seal(any(), any(), any())).thenThrow(new IllegalStateException("KMS Encrypt refused: AccessDeniedException"));

            assertThatThrownBy(() -> service.enroll(attempt(issued, request(null, Map.of())))).isInstanceOf(IllegalStateException.class);
            verify(activations).delete(fresh.activationId());
        }

        @Test
        void aLeaseFreedByAnInstallationThisRequestDidNotSeeIsGivenBack() {
            TokenIssuer.Issued issued = token("edge", 10);
            SharedActivation full = current(3, NOW.plus(Duration.ofDays(6)));
            SharedActivation installedMeanwhile = new SharedActivation("66666666-2222-3333-4444-555555555555", new byte[] {6},
                    NOW.plus(Duration.ofDays(7)), 3, 0, NOW);
            when(store.load(any())).thenReturn(snapshot(issued, full));
            when(store.acquireInstallLease(any(), any(), any(), any())).thenReturn(true);
            when(store.sharedActivation("edge")).thenReturn(Optional.of(installedMeanwhile));
            when(vault.open(any(), eq("edge"), eq(installedMeanwhile.activationId()))).thenReturn(code);

            assertThat(service.enroll(attempt(issued, request(null, Map.of()))).activationId()).isEqualTo(installedMeanwhile.activationId());
            verify(activations, never()).create(any());
            verify(store).releaseInstallLease("edge");
        }

        @Test
        void theLeaseIsGivenBackWhenSsmRefusesTheActivation() {
            TokenIssuer.Issued issued = token("edge", 10);
            when(store.load(any())).thenReturn(snapshot(issued, null));
            when(store.acquireInstallLease(any(), any(), any(), any())).thenReturn(true);
            when(activations.create(any())).thenThrow(new ActivationServiceUnavailableException("ThrottlingException", null));

            assertThat(rejection(() -> service.enroll(attempt(issued, request(null, Map.of())))).failure())
                    .isEqualTo(EnrollmentFailure.SERVICE_UNAVAILABLE);
            verify(store).releaseInstallLease("edge");
        }

        @Test
        void anInstallationWhoseAnswerWasLostButWentThroughIsUsed() {
            TokenIssuer.Issued issued = token("edge", 10);
            when(store.load(any())).thenReturn(snapshot(issued, null));
            when(store.acquireInstallLease(any(), any(), any(), any())).thenReturn(true);
            IssuedActivation fresh = activation("44444444-2222-3333-4444-555555555555", NOW.plus(fleet.activationLifetime()));
            when(activations.create(any())).thenReturn(fresh);
            when(vault.seal(any(), any(), any())).thenReturn(new byte[] {9});
            when(store.installSharedActivation(any(), any(), any(), any())).thenThrow(new StoreUnavailableException("timeout", null));
            when(store.activationRecorded(fresh.activationId())).thenReturn(true);
            SharedActivation installed = new SharedActivation(fresh.activationId(), new byte[] {9}, fresh.expiresAt(), 3, 0, NOW);
            when(store.sharedActivation("edge")).thenReturn(Optional.empty(), Optional.of(installed));
            when(vault.open(any(), eq("edge"), eq(fresh.activationId()))).thenReturn(fresh.code());

            assertThat(service.enroll(attempt(issued, request(null, Map.of()))).activationId()).isEqualTo(fresh.activationId());
            verify(activations, never()).delete(any());
        }

        @Test
        void anInstallationRefusedOnlyBecauseItsOwnLostAttemptWentThroughIsKeptAndUsed() {
            TokenIssuer.Issued issued = token("edge", 10);
            when(store.load(any())).thenReturn(snapshot(issued, null));
            when(store.acquireInstallLease(any(), any(), any(), any())).thenReturn(true);
            IssuedActivation fresh = activation("44444444-2222-3333-4444-555555555555", NOW.plus(fleet.activationLifetime()));
            when(activations.create(any())).thenReturn(fresh);
            when(vault.seal(any(), any(), any())).thenReturn(new byte[] {9});
            when(store.installSharedActivation(any(), any(), any(), any())).thenReturn(false);
            when(store.activationRecorded(fresh.activationId())).thenReturn(true);
            when(vault.open(any(), eq("edge"), eq(fresh.activationId()))).thenReturn(fresh.code());

            assertThat(service.enroll(attempt(issued, request(null, Map.of()))).activationId()).isEqualTo(fresh.activationId());
            verify(activations, never()).delete(any());
        }

        @Test
        void whileAnotherRequestCreatesTheNextActivationTheOthersWaitAndUseIt() {
            TokenIssuer.Issued issued = token("edge", 10);
            SharedActivation full = current(3, NOW.plus(Duration.ofDays(6)));
            SharedActivation installedMeanwhile = new SharedActivation("66666666-2222-3333-4444-555555555555", new byte[] {6},
                    NOW.plus(Duration.ofDays(7)), 3, 0, NOW);
            when(store.load(any())).thenReturn(snapshot(issued, full));
            when(store.acquireInstallLease(any(), any(), any(), any())).thenReturn(false);
            when(store.sharedActivation("edge")).thenReturn(Optional.of(full), Optional.of(installedMeanwhile));
            when(vault.open(any(), eq("edge"), eq(installedMeanwhile.activationId()))).thenReturn(code);

            EnrollmentResult result = service.enroll(attempt(issued, request(null, Map.of())));

            assertThat(result.activationId()).isEqualTo(installedMeanwhile.activationId());
            verify(activations, never()).create(any());
        }

        @Test
        void whenTheLeaseHolderNeverDeliversTheOthersAreToldToComeBack() {
            TokenIssuer.Issued issued = token("edge", 10);
            SharedActivation full = current(3, NOW.plus(Duration.ofDays(6)));
            when(store.load(any())).thenReturn(snapshot(issued, full));
            when(store.acquireInstallLease(any(), any(), any(), any())).thenReturn(false);
            when(store.sharedActivation("edge")).thenReturn(Optional.of(full));

            EnrollmentRejectedException rejected = rejection(() -> service.enroll(attempt(issued, request(null, Map.of()))));

            assertThat(rejected.failure()).isEqualTo(EnrollmentFailure.SERVICE_UNAVAILABLE);
            assertThat(rejected.retryAfter()).isPresent();
            verify(activations, never()).create(any());
        }
    }
}
