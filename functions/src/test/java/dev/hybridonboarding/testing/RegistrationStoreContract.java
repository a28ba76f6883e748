package dev.hybridonboarding.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hybridonboarding.admin.AdminStore;
import dev.hybridonboarding.enrollment.CommitResult;
import dev.hybridonboarding.enrollment.EnrollmentCommit;
import dev.hybridonboarding.enrollment.EnrollmentRecord;
import dev.hybridonboarding.enrollment.EnrollmentRequest;
import dev.hybridonboarding.enrollment.EnrollmentStore;
import dev.hybridonboarding.enrollment.Platform;
import dev.hybridonboarding.enrollment.Requester;
import dev.hybridonboarding.fleet.Fleet;
import dev.hybridonboarding.fleet.FleetMode;
import dev.hybridonboarding.registration.DigestEntry;
import dev.hybridonboarding.registration.DigestKind;
import dev.hybridonboarding.registration.DigestMember;
import dev.hybridonboarding.registration.DigestStore;
import dev.hybridonboarding.registration.InstanceRecord;
import dev.hybridonboarding.registration.Leased;
import dev.hybridonboarding.registration.RegistrationEvent.Change;
import dev.hybridonboarding.registration.RegistrationStore;
import dev.hybridonboarding.registration.Verdict;
import dev.hybridonboarding.rotation.ActivationRecord;
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
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;

/**
 * What every implementation of the registration and digest stores promises, held against the in-memory fake in the
 * unit tests and against the DynamoDB adapter on the local stack in the integration tests.
 */
public abstract class RegistrationStoreContract {

    protected static final Instant NOW = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    private static final SecureRandom RANDOM = new SecureRandom();

    protected abstract RegistrationStore registrations();

    protected abstract DigestStore digests();

    /** Where the test's enrollments and activations are committed, as the enrollment function commits them. */
    protected abstract EnrollmentStore enrollments();

    protected abstract AdminStore admin();

    private static String uniqueFleet() {
        return "contract-" + Long.toString(System.nanoTime() % 1_000_000_000L, 36);
    }

    private static String instanceId() {
        return String.format("mi-%017x", ThreadLocalRandom.current().nextLong(1L << 60));
    }

    /** A window of its own for each test, long ago, so that stores which outlive a test keep them apart. */
    private static Instant window() {
        return Instant.parse("2020-01-01T00:00:00Z")
                .plus(Duration.ofMinutes(5L * ThreadLocalRandom.current().nextInt(1_000_000)));
    }

    private EnrollmentRecord enroll(String fleet, FleetMode mode, String activationId, String host, Instant at) {
        EnrollmentToken token = new TokenIssuer(RANDOM)
                .issue(fleet, 5, Duration.ofHours(1), List.of(), "contract", NOW.minusSeconds(60))
                .token();
        admin().putToken(token);
        EnrollmentRecord enrollment = new EnrollmentRecord(
                "enr-" + UUID.randomUUID().toString().substring(0, 13),
                token.tokenId(),
                fleet,
                mode,
                new Requester("198.51.100.1", "contract/1"),
                new EnrollmentRequest(host, Platform.LINUX, Optional.empty(), Map.of("rack", "r1")),
                Map.of("rack", "r1"),
                activationId,
                at.plus(Duration.ofHours(1)),
                at);
        assertThat(enrollments()
                        .commit(EnrollmentCommit.singleUse(
                                token.tokenId(),
                                enrollment,
                                Optional.empty(),
                                ActivationRecord.singleUse(
                                        activationId,
                                        fleet,
                                        enrollment.enrollmentId(),
                                        at.plus(Duration.ofHours(1)),
                                        at),
                                NOW,
                                NOW.plus(Duration.ofMinutes(10)))))
                .isEqualTo(CommitResult.COMMITTED);
        return enrollment;
    }

    private static InstanceRecord.Facts facts(String fleet) {
        return new InstanceRecord.Facts(
                UUID.randomUUID().toString(),
                Verdict.ENROLLED,
                Optional.of(fleet),
                Optional.of("enr-x"),
                Optional.of("web-01"));
    }

    @Test
    void anInstanceIsHandledByOneLeaseHolderAtATime() {
        String id = instanceId();
        assertThat(registrations().instances(List.of(id))).isEmpty();

        assertThat(registrations().lease(id, Change.REGISTERED, "a", NOW, NOW.plusSeconds(60)))
                .isInstanceOf(Leased.Taken.class);
        assertThat(registrations().lease(id, Change.REGISTERED, "a", NOW, NOW.plusSeconds(60)))
                .as("its holder again")
                .isInstanceOf(Leased.Taken.class);
        assertThat(registrations().lease(id, Change.REGISTERED, "b", NOW.plusSeconds(10), NOW.plusSeconds(70)))
                .isInstanceOf(Leased.Held.class);
        assertThat(registrations().lease(id, Change.DEREGISTERED, "b", NOW.plusSeconds(10), NOW.plusSeconds(70)))
                .isInstanceOf(Leased.Held.class);
        assertThat(registrations().lease(id, Change.REGISTERED, "b", NOW.plusSeconds(61), NOW.plusSeconds(121)))
                .as("after it ran out")
                .isInstanceOf(Leased.Taken.class);

        registrations().release(id, "a");
        assertThat(registrations().lease(id, Change.REGISTERED, "c", NOW.plusSeconds(62), NOW.plusSeconds(122)))
                .as("not a's to give back")
                .isInstanceOf(Leased.Held.class);
        registrations().release(id, "b");
        assertThat(registrations().lease(id, Change.REGISTERED, "c", NOW.plusSeconds(62), NOW.plusSeconds(122)))
                .isInstanceOf(Leased.Taken.class);
    }

    @Test
    void aHandledChangeIsNotHandledAgainAndWhatWasLearnedIsKept() {
        String id = instanceId();
        InstanceRecord.Facts facts = facts("web");
        registrations().lease(id, Change.REGISTERED, "a", NOW, NOW.plusSeconds(60));

        registrations().handled(id, Change.REGISTERED, facts, NOW, Optional.empty());

        assertThat(registrations().lease(id, Change.REGISTERED, "b", NOW, NOW.plusSeconds(60)))
                .isInstanceOf(Leased.Handled.class);
        Leased<InstanceRecord> deregistration =
                registrations().lease(id, Change.DEREGISTERED, "b", NOW, NOW.plusSeconds(60));
        assertThat(deregistration).isInstanceOfSatisfying(Leased.Taken.class, taken -> {
            InstanceRecord record = (InstanceRecord) taken.current();
            assertThat(record.registrationHandledAt()).contains(NOW);
            assertThat(record.deregistrationHandledAt()).isEmpty();
            assertThat(record.facts()).contains(facts);
        });
        registrations().handled(id, Change.DEREGISTERED, facts, NOW.plusSeconds(5), Optional.empty());
        assertThat(registrations().instances(List.of(id)).get(id))
                .isEqualTo(
                        new InstanceRecord(id, Optional.of(NOW), Optional.of(NOW.plusSeconds(5)), Optional.of(facts)));
    }

    @Test
    void aDeregistrationHandledFirstLeavesTheRegistrationToBeHandled() {
        String id = instanceId();
        InstanceRecord.Facts gone = new InstanceRecord.Facts(
                UUID.randomUUID().toString(), Verdict.GONE, Optional.empty(), Optional.empty(), Optional.empty());
        registrations().lease(id, Change.DEREGISTERED, "a", NOW, NOW.plusSeconds(60));
        registrations().handled(id, Change.DEREGISTERED, gone, NOW, Optional.empty());

        assertThat(registrations().lease(id, Change.REGISTERED, "b", NOW, NOW.plusSeconds(60)))
                .isInstanceOfSatisfying(
                        Leased.Taken.class,
                        taken -> assertThat(((InstanceRecord) taken.current()).deregistrationHandledAt())
                                .contains(NOW));
    }

    @Test
    void anEnrollmentIsLinkedToOneInstanceOnly() {
        String fleet = uniqueFleet();
        EnrollmentRecord enrollment =
                enroll(fleet, FleetMode.SINGLE_USE, UUID.randomUUID().toString(), "web-01", NOW);
        String first = instanceId();

        assertThat(registrations().linkEnrollment(enrollment.enrollmentId(), first, NOW))
                .isTrue();
        assertThat(registrations().linkEnrollment(enrollment.enrollmentId(), first, NOW))
                .as("again")
                .isTrue();
        assertThat(registrations().linkEnrollment(enrollment.enrollmentId(), instanceId(), NOW))
                .isFalse();
        registrations().enrollmentDeregistered(enrollment.enrollmentId(), first, NOW.plusSeconds(30));
        assertThat(registrations().linkEnrollment(enrollment.enrollmentId(), instanceId(), NOW))
                .isFalse();
        assertThat(registrations().enrollment(enrollment.enrollmentId())).contains(enrollment);
    }

    @Test
    void aDeregistrationCanMarkAnEnrollmentNoRegistrationLinkedYet() {
        EnrollmentRecord enrollment =
                enroll(uniqueFleet(), FleetMode.SINGLE_USE, UUID.randomUUID().toString(), "web-02", NOW);
        String id = instanceId();

        registrations().enrollmentDeregistered(enrollment.enrollmentId(), id, NOW);

        assertThat(registrations().linkEnrollment(enrollment.enrollmentId(), id, NOW))
                .isTrue();
        assertThat(registrations().linkEnrollment(enrollment.enrollmentId(), instanceId(), NOW))
                .isFalse();
    }

    @Test
    void activationsAndTheEnrollmentsThatGotThemAreFound() {
        String fleet = uniqueFleet();
        String shared = UUID.randomUUID().toString();
        EnrollmentRecord older = enroll(fleet, FleetMode.SHARED, shared, "a", NOW.minus(Duration.ofMinutes(30)));
        EnrollmentRecord newer = enroll(fleet, FleetMode.SHARED, shared, "b", NOW.minus(Duration.ofMinutes(10)));
        enroll(fleet, FleetMode.SHARED, UUID.randomUUID().toString(), "c", NOW.minus(Duration.ofMinutes(20)));
        enroll(fleet, FleetMode.SHARED, shared, "d", NOW.minus(Duration.ofHours(3)));

        assertThat(registrations().enrollmentsWith(fleet, shared, NOW.minus(Duration.ofHours(1)), NOW))
                .containsExactly(newer, older);
        assertThat(registrations().activation(shared))
                .hasValueSatisfying(record -> assertThat(record.fleet()).isEqualTo(fleet));
        assertThat(registrations().activation(UUID.randomUUID().toString())).isEmpty();
        assertThat(registrations().enrollment("enr-unknown")).isEmpty();
    }

    @Test
    void theSweepFindsTheFleetsActivationsThatAreValidOrExpiredLately() {
        String fleet = uniqueFleet();
        admin().putFleet(Fleet.withDefaults(fleet, FleetMode.SINGLE_USE, "Role").withVersion(1), 0, NOW);
        String valid = UUID.randomUUID().toString();
        String lately = UUID.randomUUID().toString();
        String longAgo = UUID.randomUUID().toString();
        enroll(fleet, FleetMode.SINGLE_USE, valid, "a", NOW);
        enroll(fleet, FleetMode.SINGLE_USE, lately, "b", NOW.minus(Duration.ofHours(5)));
        enroll(fleet, FleetMode.SINGLE_USE, longAgo, "c", NOW.minus(Duration.ofDays(3)));

        assertThat(registrations().activationsExpiringAfter(fleet, NOW.minus(Duration.ofDays(1))))
                .extracting(ActivationRecord::activationId)
                .containsExactlyInAnyOrder(valid, lately);
        assertThat(registrations().fleetNames()).contains(fleet);
    }

    @Test
    void aWindowCountsItsAnnouncementsAndItsDigestNamesItsMembersAndGoesOutOnce() {
        Instant window = window();
        Instant end = window.plus(Duration.ofMinutes(5));
        assertThat(digests().admit(DigestKind.REGISTERED, window, end)).isEqualTo(new DigestStore.Admission(1, false));
        assertThat(digests().admit(DigestKind.REGISTERED, window, end)).isEqualTo(new DigestStore.Admission(2, false));
        assertThat(digests().admit(DigestKind.DEREGISTERED, window, end))
                .as("kinds count apart")
                .isEqualTo(new DigestStore.Admission(1, false));
        String id = instanceId();
        DigestMember member = new DigestMember(id, "web-01", "web");

        registrations()
                .handled(
                        id,
                        Change.REGISTERED,
                        facts("web"),
                        NOW,
                        Optional.of(new DigestEntry(DigestKind.REGISTERED, window, member)));

        assertThat(digests().members(DigestKind.REGISTERED, window)).containsExactly(member);
        assertThat(digests().members(DigestKind.DEREGISTERED, window)).isEmpty();
        assertThat(digests().unsent(end))
                .as("not over yet")
                .doesNotContain(new DigestStore.Window(DigestKind.REGISTERED, window));
        assertThat(digests().unsent(end.plusSeconds(1)))
                .contains(new DigestStore.Window(DigestKind.REGISTERED, window))
                .doesNotContain(new DigestStore.Window(DigestKind.DEREGISTERED, window));

        assertThat(digests().lease(DigestKind.REGISTERED, window, "a", NOW, NOW.plusSeconds(60)))
                .isInstanceOf(Leased.Taken.class);
        assertThat(digests().lease(DigestKind.REGISTERED, window, "b", NOW, NOW.plusSeconds(60)))
                .isInstanceOf(Leased.Held.class);
        digests().release(DigestKind.REGISTERED, window, "a");
        assertThat(digests().lease(DigestKind.REGISTERED, window, "b", NOW, NOW.plusSeconds(60)))
                .isInstanceOf(Leased.Taken.class);
        digests().sent(DigestKind.REGISTERED, window, NOW);

        assertThat(digests().lease(DigestKind.REGISTERED, window, "c", NOW, NOW.plusSeconds(60)))
                .isInstanceOf(Leased.Handled.class);
        assertThat(digests().unsent(end.plusSeconds(1)))
                .doesNotContain(new DigestStore.Window(DigestKind.REGISTERED, window));
        assertThat(digests().admit(DigestKind.REGISTERED, window, end)).isEqualTo(new DigestStore.Admission(3, true));
        String late = instanceId();
        assertThat(registrations()
                        .handled(
                                late,
                                Change.REGISTERED,
                                facts("web"),
                                NOW,
                                Optional.of(new DigestEntry(
                                        DigestKind.REGISTERED, window, new DigestMember(late, "late", "web")))))
                .as("too late for it")
                .isFalse();
        assertThat(digests().members(DigestKind.REGISTERED, window)).containsExactly(member);
        assertThat(registrations().instances(List.of(late)).get(late).registrationHandledAt())
                .contains(NOW);
    }
}
