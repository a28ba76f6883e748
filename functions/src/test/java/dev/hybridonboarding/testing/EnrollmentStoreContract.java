package dev.hybridonboarding.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hybridonboarding.admin.AdminStore;
import dev.hybridonboarding.enrollment.CommitResult;
import dev.hybridonboarding.enrollment.EnrollmentCommit;
import dev.hybridonboarding.enrollment.EnrollmentRecord;
import dev.hybridonboarding.enrollment.EnrollmentRequest;
import dev.hybridonboarding.enrollment.EnrollmentSnapshot;
import dev.hybridonboarding.enrollment.EnrollmentStore;
import dev.hybridonboarding.enrollment.Platform;
import dev.hybridonboarding.enrollment.Requester;
import dev.hybridonboarding.enrollment.RetryRecord;
import dev.hybridonboarding.fleet.Fleet;
import dev.hybridonboarding.fleet.FleetMode;
import dev.hybridonboarding.rotation.ActivationRecord;
import dev.hybridonboarding.rotation.SharedActivation;
import dev.hybridonboarding.rotation.SharedActivationStore;
import dev.hybridonboarding.token.EnrollmentToken;
import dev.hybridonboarding.token.TokenIssuer;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * What every implementation of the enrollment store promises, held against the in-memory fake in the unit tests and
 * against the DynamoDB adapter on the local stack in the integration tests.
 */
public abstract class EnrollmentStoreContract {

    protected static final Instant NOW = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    private static final SecureRandom RANDOM = new SecureRandom();

    /** Failures are counted per source; each test counts its own. */
    private final String failureSource = "contract-" + UUID.randomUUID();

    protected abstract EnrollmentStore store();

    protected abstract SharedActivationStore sharedActivations();

    /** Where the test's tokens and fleets are put. */
    protected abstract AdminStore admin();

    /** A fleet name no other test uses, for stores that outlive one test. */
    protected String uniqueFleet() {
        return "contract-" + Long.toString(System.nanoTime() % 1_000_000_000L, 36);
    }

    protected EnrollmentToken token(String fleet, int maxUses) {
        EnrollmentToken token = new TokenIssuer(RANDOM)
                .issue(fleet, maxUses, Duration.ofHours(1), List.of(), "contract", NOW.minusSeconds(60))
                .token();
        admin().putToken(token);
        return token;
    }

    private EnrollmentSnapshot load(EnrollmentToken token, String machineId) {
        return store().load(new EnrollmentStore.SnapshotKey(
                token.fleet(),
                token.tokenId(),
                Optional.ofNullable(machineId),
                failureSource,
                NOW.truncatedTo(ChronoUnit.HOURS)));
    }

    private static EnrollmentRecord enrollment(EnrollmentToken token, String machineId, String activationId) {
        return new EnrollmentRecord(
                "enr-" + UUID.randomUUID().toString().substring(0, 13),
                token.tokenId(),
                token.fleet(),
                FleetMode.SINGLE_USE,
                new Requester("198.51.100.1", "contract/1"),
                new EnrollmentRequest(
                        "host-" + machineId, Platform.LINUX, Optional.ofNullable(machineId), Map.of("rack", "r1")),
                Map.of("rack", "r1"),
                activationId,
                NOW.plus(Duration.ofHours(1)),
                NOW);
    }

    private static Optional<EnrollmentCommit.RetryWrite> retry(
            EnrollmentRecord enrollment, Instant expiresAt, Optional<String> replaces) {
        return enrollment
                .request()
                .machineId()
                .map(machineId -> new EnrollmentCommit.RetryWrite(
                        new RetryRecord(
                                machineId,
                                enrollment.enrollmentId(),
                                enrollment.activationId(),
                                new byte[] {1, 2, 3},
                                RetryRecord.CodeSealing.TOKEN,
                                expiresAt,
                                enrollment.request().hostname(),
                                enrollment.request().digest()),
                        replaces));
    }

    private CommitResult commitSingleUse(EnrollmentToken token, String machineId) {
        return commitSingleUse(token, machineId, UUID.randomUUID().toString(), Optional.empty());
    }

    private CommitResult commitSingleUse(
            EnrollmentToken token, String machineId, String activationId, Optional<String> replaces) {
        EnrollmentRecord enrollment = enrollment(token, machineId, activationId);
        return store().commit(EnrollmentCommit.singleUse(
                token.tokenId(),
                enrollment,
                retry(enrollment, NOW.plus(Duration.ofHours(1)), replaces),
                ActivationRecord.singleUse(
                        activationId, token.fleet(), enrollment.enrollmentId(), NOW.plus(Duration.ofHours(1)), NOW),
                NOW,
                NOW.plus(Duration.ofMinutes(10))));
    }

    @Test
    void aSnapshotHoldsWhatIsStoredAndNothingForWhatIsNot() {
        String fleet = uniqueFleet();
        EnrollmentToken token = token(fleet, 3);
        Fleet stored = Fleet.withDefaults(fleet, FleetMode.SINGLE_USE, "HybridOnboardingInstanceRole")
                .withVersion(1);
        admin().putFleet(stored, 0, NOW);

        EnrollmentSnapshot snapshot = load(token, "m-1");

        assertThat(snapshot.token())
                .hasValueSatisfying(t -> assertThat(t.tokenId()).isEqualTo(token.tokenId()));
        assertThat(snapshot.storedFleet()).contains(stored);
        assertThat(snapshot.sharedActivation()).isEmpty();
        assertThat(snapshot.retryRecord()).isEmpty();
        assertThat(snapshot.sourceFailures()).isZero();
        assertThat(snapshot.tokenFailures()).isZero();
    }

    @Test
    void aCommitSpendsOneUseAndRecordsTheEnrollmentAndWhatTheMachineGot() {
        EnrollmentToken token = token(uniqueFleet(), 2);
        String activationId = UUID.randomUUID().toString();

        assertThat(commitSingleUse(token, "m-1", activationId, Optional.empty()))
                .isEqualTo(CommitResult.COMMITTED);

        EnrollmentSnapshot after = load(token, "m-1");
        assertThat(after.token().orElseThrow().uses()).isEqualTo(1);
        assertThat(after.retryRecord())
                .hasValueSatisfying(r -> assertThat(r.activationId()).isEqualTo(activationId));
        assertThat(admin().activations(token.fleet(), NOW))
                .extracting(ActivationRecord::activationId)
                .containsExactly(activationId);
        assertThat(admin().enrollments(token.fleet(), NOW.minusSeconds(1), 10))
                .singleElement()
                .satisfies(e ->
                        assertThat(store().enrollmentRecorded(e.enrollmentId())).isTrue());
    }

    @Test
    void aTokenWithNoUsesLeftCommitsNothing() {
        EnrollmentToken token = token(uniqueFleet(), 1);
        assertThat(commitSingleUse(token, "m-1")).isEqualTo(CommitResult.COMMITTED);

        assertThat(commitSingleUse(token, "m-2")).isEqualTo(CommitResult.TOKEN_SPENT);

        assertThat(load(token, "m-2").retryRecord()).isEmpty();
        assertThat(admin().enrollments(token.fleet(), NOW.minusSeconds(1), 10)).hasSize(1);
        assertThat(admin().activations(token.fleet(), NOW)).hasSize(1);
    }

    @Test
    void aTokenRevokedMeanwhileIsInvalidatedNotSpent() {
        EnrollmentToken token = token(uniqueFleet(), 5);
        admin().revokeToken(token.tokenId(), NOW);

        assertThat(commitSingleUse(token, "m-1")).isEqualTo(CommitResult.TOKEN_INVALIDATED);
        assertThat(admin().token(token.tokenId()).orElseThrow().uses()).isZero();
    }

    @Test
    void nothingIsCommittedForAFleetDisabledMeanwhile() {
        String fleet = uniqueFleet();
        Fleet stored = Fleet.withDefaults(fleet, FleetMode.SINGLE_USE, "HybridOnboardingInstanceRole")
                .withVersion(1);
        admin().putFleet(stored, 0, NOW);
        EnrollmentToken token = token(fleet, 5);
        admin().putFleet(stored.withEnabled(false).withVersion(2), 1, NOW);

        assertThat(commitSingleUse(token, "m-1")).isEqualTo(CommitResult.FLEET_DISABLED);
        assertThat(admin().token(token.tokenId()).orElseThrow().uses()).isZero();
    }

    @Test
    void aSecondEnrollmentOfTheSameMachineWhileItsActivationLivesIsRefused() {
        EnrollmentToken token = token(uniqueFleet(), 5);
        assertThat(commitSingleUse(token, "m-1")).isEqualTo(CommitResult.COMMITTED);

        assertThat(commitSingleUse(token, "m-1")).isEqualTo(CommitResult.MACHINE_ALREADY_ENROLLED);
        assertThat(admin().token(token.tokenId()).orElseThrow().uses()).isEqualTo(1);
    }

    @Test
    void aRetryRecordWhoseActivationCanNoLongerRegisterTheMachineIsReplaced() {
        EnrollmentToken token = token(uniqueFleet(), 5);
        String first = UUID.randomUUID().toString();
        assertThat(commitSingleUse(token, "m-1", first, Optional.empty())).isEqualTo(CommitResult.COMMITTED);

        String second = UUID.randomUUID().toString();
        assertThat(commitSingleUse(token, "m-1", second, Optional.of(first))).isEqualTo(CommitResult.COMMITTED);

        assertThat(load(token, "m-1").retryRecord().orElseThrow().activationId())
                .isEqualTo(second);
        assertThat(admin().token(token.tokenId()).orElseThrow().uses()).isEqualTo(2);
    }

    @Test
    void handoutsOfASharedActivationAreCountedUpToItsLimit() {
        String fleet = uniqueFleet();
        EnrollmentToken token = token(fleet, 10);
        String activationId = UUID.randomUUID().toString();
        SharedActivation current =
                new SharedActivation(activationId, new byte[] {9}, NOW.plus(Duration.ofDays(7)), 2, 0, NOW);
        assertThat(sharedActivations()
                        .install(
                                fleet,
                                Optional.empty(),
                                current,
                                ActivationRecord.shared(activationId, fleet, 2, current.expiresAt(), NOW)))
                .isTrue();

        List<CommitResult> results = List.of(
                handout(token, activationId, "m-1"),
                handout(token, activationId, "m-2"),
                handout(token, activationId, "m-3"));

        assertThat(results)
                .containsExactly(CommitResult.COMMITTED, CommitResult.COMMITTED, CommitResult.SHARED_ACTIVATION_SPENT);
        assertThat(load(token, null).sharedActivation().orElseThrow().handedOut())
                .isEqualTo(2);
        assertThat(admin().token(token.tokenId()).orElseThrow().uses()).isEqualTo(2);
    }

    @Test
    void aHandoutOfAnActivationThatWasReplacedIsRefused() {
        String fleet = uniqueFleet();
        EnrollmentToken token = token(fleet, 10);
        String old = UUID.randomUUID().toString();
        String next = UUID.randomUUID().toString();
        sharedActivations()
                .install(
                        fleet,
                        Optional.empty(),
                        new SharedActivation(old, new byte[] {9}, NOW.plus(Duration.ofDays(7)), 5, 0, NOW),
                        ActivationRecord.shared(old, fleet, 5, NOW.plus(Duration.ofDays(7)), NOW));
        sharedActivations()
                .install(
                        fleet,
                        Optional.of(old),
                        new SharedActivation(next, new byte[] {8}, NOW.plus(Duration.ofDays(7)), 5, 0, NOW),
                        ActivationRecord.shared(next, fleet, 5, NOW.plus(Duration.ofDays(7)), NOW));

        assertThat(handout(token, old, "m-1")).isEqualTo(CommitResult.SHARED_ACTIVATION_SPENT);
        assertThat(handout(token, next, "m-1")).isEqualTo(CommitResult.COMMITTED);
    }

    @Test
    void failuresAreCountedPerSourceAndPerTokenInTheirWindow() {
        EnrollmentToken token = token(uniqueFleet(), 1);
        Instant window = NOW.truncatedTo(ChronoUnit.HOURS);
        store().recordFailure(failureSource, Optional.of(token.tokenId()), window, window.plus(Duration.ofHours(1)));
        store().recordFailure(failureSource, Optional.empty(), window, window.plus(Duration.ofHours(1)));

        EnrollmentSnapshot snapshot = load(token, null);

        assertThat(snapshot.sourceFailures()).isEqualTo(2);
        assertThat(snapshot.tokenFailures()).isEqualTo(1);
    }

    private CommitResult handout(EnrollmentToken token, String activationId, String machineId) {
        EnrollmentRecord enrollment = enrollment(token, machineId, activationId);
        return store().commit(EnrollmentCommit.sharedHandout(
                token.tokenId(),
                enrollment,
                retry(enrollment, NOW.plus(Duration.ofDays(7)), Optional.empty()),
                activationId,
                NOW,
                NOW.plus(Duration.ofMinutes(10))));
    }
}
