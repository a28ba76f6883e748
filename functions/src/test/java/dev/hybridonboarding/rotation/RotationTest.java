package dev.hybridonboarding.rotation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.hybridonboarding.activation.ActivationRejectedException;
import dev.hybridonboarding.activation.ActivationSpec;
import dev.hybridonboarding.activation.Handout;
import dev.hybridonboarding.activation.InstanceTags;
import dev.hybridonboarding.enrollment.EnrollmentResult;
import dev.hybridonboarding.fleet.Fleet;
import dev.hybridonboarding.fleet.FleetMode;
import dev.hybridonboarding.notification.Notice;
import dev.hybridonboarding.notification.NoticeKind;
import dev.hybridonboarding.support.DependencyUnavailableException;
import dev.hybridonboarding.testing.FakeSsm;
import dev.hybridonboarding.testing.InMemoryTable;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The schedule keeps every shared fleet ready, deletes what is spent, and leaves alone what is not its own. */
class RotationTest extends RotationFixture {

    @Test
    void aNewSharedFleetGetsItsFirstActivationBeforeAnyMachineAsks() {
        RotationRun run = run();

        assertThat(run.rotated()).containsExactly("edge");
        assertThat(ssm.activation(current()).orElseThrow().spec().tags())
                .containsEntry(InstanceTags.STACK, OWNER.stackId());
        int created = ssm.created();
        assertThat(enroll(shared, "a").activationId()).isEqualTo(current());
        assertThat(ssm.created())
                .as("no enrollment waited for CreateActivation")
                .isEqualTo(created);
    }

    @Test
    void anActivationInTheLastQuarterOfItsLifeIsReplacedAndTheOldOneDeletedAfterItsGracePeriod() {
        run();
        String first = current();
        clock.advance(Duration.ofDays(5).plusHours(6));

        RotationRun rotated = run();
        String second = current();

        assertThat(rotated.rotated()).containsExactly("edge");
        assertThat(second).isNotEqualTo(first);
        assertThat(ssm.activation(first))
                .as("valid for machines that just received it")
                .isPresent();
        assertThat(enroll(shared, "late").activationId()).isEqualTo(second);

        clock.advance(POLICY.gracePeriod().minus(Duration.ofMinutes(1)));
        assertThat(run().deletedReplaced()).isZero();
        clock.advance(INTERVAL);
        RotationRun cleaned = run();

        assertThat(cleaned.deletedReplaced()).isEqualTo(1);
        assertThat(ssm.activation(first)).isEmpty();
        assertThat(table.markedDeleted(first)).isTrue();
        assertThat(notifier.sent()).extracting(notice -> notice.kind()).contains(NoticeKind.ACTIVATIONS_ROTATED);
    }

    @Test
    void anActivationNearItsRegistrationLimitIsReplacedBeforeAnyoneWaits() {
        run();
        String first = current();
        for (int i = 0; i < 91; i++) {
            ssm.register(first);
        }

        assertThat(run().rotated()).containsExactly("edge");
        assertThat(current()).isNotEqualTo(first);
    }

    @Test
    void usedAndExpiredSingleUseActivationsAreDeletedWithWhatRetriesWouldHaveGotAndUnusedOnesStay() {
        EnrollmentResult used = enroll(singleUse, "a");
        EnrollmentResult unused = enroll(singleUse, "b");
        ssm.register(used.activationId());

        RotationRun first = run();

        assertThat(first.deletedSpent()).isEqualTo(1);
        assertThat(ssm.activation(used.activationId())).isEmpty();
        assertThat(ssm.activation(unused.activationId())).isPresent();
        assertThat(table.retryRecords())
                .extracting(retry -> retry.activationId())
                .doesNotContain(used.activationId());

        clock.advance(Duration.ofHours(1));
        assertThat(run().deletedSpent()).isEqualTo(1);
        assertThat(ssm.activation(unused.activationId())).isEmpty();
        assertThat(table.retryRecords()).isEmpty();
    }

    @Test
    void activationsThisDeploymentDidNotCreateAreCountedAndLeftAlone() {
        String byHand = ssm.createdElsewhere(
                new ActivationSpec("Role", 5, NOW.plus(Duration.ofDays(1)), "lab", "by hand", Map.of()),
                NOW.minus(Duration.ofDays(1)));
        String otherStack = ssm.createdElsewhere(
                new ActivationSpec(
                        "Role",
                        5,
                        NOW.minus(Duration.ofHours(1)),
                        "x",
                        "another deployment",
                        Map.of(InstanceTags.STACK, "arn:aws:cloudformation:us-east-1:123456789012:stack/theirs/2")),
                NOW.minus(Duration.ofDays(2)));

        RotationRun run = run();

        assertThat(run.foreign()).isEqualTo(2);
        assertThat(ssm.activation(byHand)).isPresent();
        assertThat(ssm.activation(otherStack)).as("expired, but not ours").isPresent();
    }

    @Test
    void anActivationOfOursThatACrashLeftUnrecordedIsDeletedOnceItCannotBeAnEnrollmentStillCommitting() {
        String leftover = ssm.createdElsewhere(
                new ActivationSpec("Role", 1, NOW.plus(Duration.ofHours(1)), "web-9", "crashed", OWNER.tags()),
                NOW.minus(Duration.ofMinutes(20)));
        String inFlight = ssm.createdElsewhere(
                new ActivationSpec("Role", 1, NOW.plus(Duration.ofHours(1)), "web-8", "committing", OWNER.tags()),
                NOW.minusSeconds(5));

        RotationRun run = run();

        assertThat(run.deletedOrphans()).isEqualTo(1);
        assertThat(ssm.activation(leftover)).isEmpty();
        assertThat(ssm.activation(inFlight)).isPresent();
    }

    @Test
    void aFleetSsmRefusesIsAnAlertAndTheOthersStillRotate() {
        Fleet broken = Fleet.withDefaults("broken", FleetMode.SHARED, "Role").withVersion(1);
        table.putFleet(broken, 0, NOW);
        ssm.faults()
                .failNext(
                        FakeSsm.Operation.CREATE,
                        new ActivationRejectedException("ValidationException: Not existing role", null));

        RotationRun run = run();

        assertThat(run.failed()).containsOnlyKeys("broken");
        assertThat(run.rotated()).containsExactly("edge");
        assertThat(notifier.sent())
                .filteredOn(notice -> notice.kind() == NoticeKind.ROTATION_FAILED)
                .singleElement()
                .satisfies(notice -> assertThat(notice.facts()).contains(new Notice.Fact("fleet", "Fleet", "broken")));
    }

    @Test
    void throttlingDefersWorkToTheNextRunWithoutCountingAsAFailure() {
        EnrollmentResult used = enroll(singleUse, "a");
        ssm.register(used.activationId());
        ssm.faults()
                .failNext(FakeSsm.Operation.DELETE, new DependencyUnavailableException("ThrottlingException", null));
        ssm.faults()
                .failNext(FakeSsm.Operation.CREATE, new DependencyUnavailableException("ThrottlingException", null));

        RotationRun throttled = run();

        assertThat(throttled.failed()).isEmpty();
        assertThat(throttled.deferred()).isEqualTo(2);
        RotationRun next = run();
        assertThat(next.deletedSpent()).isEqualTo(1);
        assertThat(next.rotated()).containsExactly("edge");
    }

    @Test
    void workThatDoesNotFitBeforeTheDeadlineIsLeftForTheNextRun() {
        EnrollmentResult used = enroll(singleUse, "a");
        ssm.register(used.activationId());

        RotationRun hurried = rotation.run(clock.instant().plus(Rotation.RESERVE));

        assertThat(hurried.deferred()).isPositive();
        assertThat(ssm.activation(used.activationId())).isPresent();
        assertThat(run().deletedSpent()).isEqualTo(1);
    }

    @Test
    void timeRunningOutInTheCleanUpLeavesTheOtherFleetsRecordsUnreadUntilTheNextRun() {
        EnrollmentResult used = enroll(singleUse, "a");
        ssm.register(used.activationId());
        table.faults().beforeNext(InMemoryTable.Operation.LIVE_ACTIVATIONS, () -> clock.advance(Duration.ofMinutes(5)));

        RotationRun hurried = run();

        assertThat(table.faults().calls(InMemoryTable.Operation.LIVE_ACTIVATIONS))
                .as("no fleet read after the stop")
                .isEqualTo(1);
        assertThat(hurried.deferred()).isPositive();
        assertThat(hurried.failed()).isEmpty();
        assertThat(ssm.activation(used.activationId())).isPresent();
        assertThat(run().deletedSpent()).isEqualTo(1);
    }

    @Test
    void aFleetWhoseRecordsCannotBeReadIsLeftForTheNextRunAndNoneOfOurActivationsIsTakenForAnOrphan() {
        run();
        String sharedCurrent = current();
        String unused = enroll(singleUse, "a").activationId();
        clock.advance(RotationPolicy.ORPHAN_AGE.plusMinutes(5));
        table.faults()
                .failNext(
                        InMemoryTable.Operation.LIVE_ACTIVATIONS,
                        new DependencyUnavailableException("Query timed out", null));
        table.faults()
                .failNext(
                        InMemoryTable.Operation.LIVE_ACTIVATIONS,
                        new DependencyUnavailableException("Query timed out", null));

        RotationRun unread = run();

        assertThat(unread.failed()).isEmpty();
        assertThat(unread.deferred()).isEqualTo(2);
        assertThat(unread.deletedOrphans()).isZero();
        assertThat(ssm.activation(sharedCurrent)).isPresent();
        assertThat(ssm.activation(unused)).isPresent();
        assertThat(run().deferred()).isZero();
        assertThat(ssm.activation(unused))
                .as("recorded, unused and unexpired: kept")
                .isPresent();
    }

    @Test
    void eachRunIsSummarisedAndKept() {
        RotationRun run = run();

        assertThat(rotation.lastRun()).contains(run);
        assertThat(run.ssmCalls()).isEqualTo(pacer.calls());
        assertThat(run.fleetsChecked()).isEqualTo(2);
    }

    @Test
    void aFleetCanBeRotatedByHandAtOnce() {
        run();
        String first = current();

        assertThat(rotation.rotateNow(shared)).isInstanceOf(SharedActivationInstaller.Installation.Installed.class);
        assertThat(current()).isNotEqualTo(first);
        assertThat(rotation.rotatesAt(table.current("edge").orElseThrow()))
                .isEqualTo(NOW.plus(Duration.ofDays(7)).minus(Duration.ofHours(42)));
    }

    @Test
    void aGracePeriodShorterThanTheHandoutMarginIsRefused() {
        assertThatThrownBy(
                        () -> new RotationPolicy(0.25, 0.1, Handout.MARGIN.minusSeconds(1), RotationPolicy.ORPHAN_AGE))
                .hasMessageContaining("handout margin");
    }
}
