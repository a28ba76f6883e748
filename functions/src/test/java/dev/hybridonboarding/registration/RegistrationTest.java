package dev.hybridonboarding.registration;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hybridonboarding.activation.InstanceTags;
import dev.hybridonboarding.enrollment.EnrollmentResult;
import dev.hybridonboarding.notification.Notice;
import dev.hybridonboarding.notification.NoticeKind;
import dev.hybridonboarding.support.DependencyUnavailableException;
import dev.hybridonboarding.testing.FakeSsm;
import dev.hybridonboarding.testing.InMemoryRegistrationTable;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A registration is tagged, linked and announced once, whatever routes and retries bring it, and waits for what it needs. */
class RegistrationTest extends RegistrationFixture {

    private final Registrations step = step();

    @Test
    void aSingleUseMachineIsNamedTaggedLinkedAndWelcomedOnceThoughBothRoutesArriveTogether() {
        EnrollmentResult enrolled = enroll(singleUse, "web-01", Map.of("rack", "r7"));
        String instanceId = ssm.registerMachine(enrolled.activationId());
        ssm.report(instanceId, "web-01.corp.example", "10.0.0.7");

        assertThat(deliver(step, registered(instanceId), trail(instanceId))).containsOnly(done());

        FakeSsm.Instance instance = ssm.instance(instanceId).orElseThrow();
        assertThat(instance.tags())
                .containsEntry(InstanceTags.NAME, "web-01")
                .containsEntry(InstanceTags.ENROLLMENT_ID, enrolled.enrollmentId())
                .containsEntry(
                        InstanceTags.REGISTERED_AT, instance.registeredAt().toString())
                .containsEntry("env", "prod")
                .containsEntry("rack", "r7");
        assertThat(instance.tagUpdates()).isEqualTo(1);
        assertThat(registrations.link(enrolled.enrollmentId()))
                .hasValueSatisfying(link -> assertThat(link.instanceId()).isEqualTo(instanceId));
        Notice welcome = sent(NoticeKind.MACHINE_REGISTERED).get(0);
        assertThat(notifier.sent()).containsExactly(welcome);
        assertThat(welcome.title()).isEqualTo("Machine web-01 registered");
        assertThat(fact(welcome, "match")).contains("sure");
        assertThat(fact(welcome, "ipAddress")).contains("10.0.0.7");
        assertThat(fact(welcome, "platform")).contains("Ubuntu 22.04 (Linux)");
        assertThat(fact(welcome, "consoleUrl"))
                .contains("https://us-east-1.console.aws.amazon.com/systems-manager/fleet-manager/managed-nodes/"
                        + instanceId + "/general?region=us-east-1");
        assertThat(welcome.resources())
                .containsExactly("arn:aws:ssm:us-east-1:123456789012:managed-instance/" + instanceId);
    }

    @Test
    void aDuplicateReplayedOrSecondRouteLaterChangesNothingAndCostsNoSsmCall() {
        String instanceId = machine(singleUse, "web-02");
        deliver(step, registered(instanceId));
        int describes = ssm.faults().calls(FakeSsm.Operation.DESCRIBE_INSTANCES);

        assertThat(deliver(step, trail(instanceId))).containsOnly(done());
        assertThat(deliver(step, registered(instanceId), registered(instanceId)))
                .containsOnly(done());

        assertThat(ssm.faults().calls(FakeSsm.Operation.DESCRIBE_INSTANCES)).isEqualTo(describes);
        assertThat(ssm.instance(instanceId).orElseThrow().tagUpdates()).isEqualTo(1);
        assertThat(notifier.sent()).hasSize(1);
    }

    @Test
    void itWaitsForTheAgentsFirstReportBeforeMatchingAndThenChecksTheName() {
        EnrollmentResult enrolled = enroll(singleUse, "web-03");
        String instanceId = ssm.registerMachine(enrolled.activationId());

        Disposition first = deliver(step, registered(instanceId)).get(0);

        assertThat(first).isInstanceOfSatisfying(Disposition.RetryAfter.class, retry -> {
            assertThat(retry.delay()).isBetween(Duration.ofSeconds(1), REPORT_WAIT);
            assertThat(retry.why()).contains("report");
        });
        assertThat(ssm.instance(instanceId).orElseThrow().tagUpdates()).isZero();
        assertThat(notifier.sent()).isEmpty();

        clock.advance(Duration.ofSeconds(3));
        ssm.report(instanceId, "WEB-03", "10.0.0.8");
        assertThat(deliver(step, 2, List.of(registered(instanceId))).values()).containsOnly(done());
        assertThat(fact(sent(NoticeKind.MACHINE_REGISTERED).get(0), "computerName"))
                .contains("WEB-03");
    }

    @Test
    void whenTheReportDoesNotComeWithinTheBoundTheMachineIsAnnouncedWithWhatIsKnownAndSaysSo() {
        EnrollmentResult enrolled = enroll(singleUse, "web-04");
        String instanceId = ssm.registerMachine(enrolled.activationId());
        clock.advance(REPORT_WAIT.plusSeconds(1));

        assertThat(deliver(step, 3, List.of(registered(instanceId))).values()).containsOnly(done());

        Notice welcome = sent(NoticeKind.MACHINE_REGISTERED).get(0);
        assertThat(welcome.title()).contains("(match unsure)");
        assertThat(fact(welcome, "computerName")).contains("not reported yet");
        assertThat(ssm.instance(instanceId).orElseThrow().tags()).containsEntry(InstanceTags.NAME, "web-04");
    }

    @Test
    void theLastReceiveBeforeTheDeadLetterQueueSettlesTheMessageWithWhatIsKnown() {
        String instanceId = ssm.registerMachine(enroll(singleUse, "web-05").activationId());

        assertThat(deliver(step, MAX_RECEIVES, List.of(registered(instanceId))).values())
                .containsOnly(done());
        assertThat(sent(NoticeKind.MACHINE_REGISTERED)).hasSize(1);
    }

    @Test
    void anInstanceNotVisibleYetIsAskedForAgainWithoutHoldingUpTheRestOfTheBatch() {
        String hidden = machine(singleUse, "web-06");
        String visible = machine(singleUse, "web-07");
        ssm.hide(hidden);

        List<Disposition> dispositions = deliver(step, registered(hidden), registered(visible));

        assertThat(dispositions.get(0))
                .isInstanceOfSatisfying(
                        Disposition.RetryAfter.class,
                        retry -> assertThat(retry.why()).contains("not visible"));
        assertThat(dispositions.get(1)).isEqualTo(done());
        assertThat(registrations.record(hidden))
                .hasValueSatisfying(
                        record -> assertThat(record.registrationHandledAt()).isEmpty());

        ssm.reveal(hidden);
        assertThat(deliver(step, 2, List.of(registered(hidden))).values()).containsOnly(done());
        assertThat(sent(NoticeKind.MACHINE_REGISTERED)).hasSize(2);
    }

    @Test
    void throttledTaggingIsAskedForAgainLaterAndTheInstanceIsTaggedAndWelcomedOnce() {
        String instanceId = machine(singleUse, "web-08");
        ssm.faults()
                .failNext(
                        FakeSsm.Operation.TAG,
                        new DependencyUnavailableException("AddTagsToResource: ThrottlingException", null));

        Disposition throttled = deliver(step, registered(instanceId)).get(0);

        assertThat(throttled)
                .isInstanceOfSatisfying(
                        Disposition.RetryAfter.class,
                        retry -> assertThat(retry.delay()).isGreaterThanOrEqualTo(Duration.ofSeconds(5)));
        assertThat(notifier.sent()).isEmpty();

        assertThat(deliver(step, 2, List.of(trail(instanceId))).values()).containsOnly(done());
        assertThat(deliver(step, 2, List.of(registered(instanceId))).values()).containsOnly(done());
        assertThat(ssm.instance(instanceId).orElseThrow().tagUpdates()).isEqualTo(1);
        assertThat(notifier.sent()).hasSize(1);
    }

    @Test
    void aMessageDeliveredAgainAfterItsTagsWentOnDoesNotTagAgain() {
        String instanceId = machine(singleUse, "web-18");
        registrations
                .faults()
                .failNext(
                        InMemoryRegistrationTable.Operation.HANDLED,
                        new DependencyUnavailableException("TransactWriteItems: timed out", null));

        assertThat(deliver(step, registered(instanceId)).get(0)).isInstanceOf(Disposition.RetryAfter.class);
        assertThat(ssm.instance(instanceId).orElseThrow().tagUpdates()).isEqualTo(1);

        assertThat(deliver(step, 2, List.of(registered(instanceId))).values()).containsOnly(done());
        assertThat(ssm.instance(instanceId).orElseThrow().tagUpdates()).isEqualTo(1);
        assertThat(ssm.instance(instanceId).orElseThrow().tags()).containsEntry(InstanceTags.NAME, "web-18");
    }

    @Test
    void aLeaseNoOneWillReleaseIsWaitedOutInsteadOfSpendingTheReceivesBeforeTheDeadLetterQueue() {
        String instanceId = machine(singleUse, "web-19");
        // An invocation whose lease write went through after its call timed out: nobody releases that lease.
        registrations.lease(
                instanceId,
                RegistrationEvent.Change.REGISTERED,
                "timed-out-invocation",
                clock.instant(),
                clock.instant().plus(Registrations.LEASE));

        Disposition held = deliver(step, 2, List.of(registered(instanceId)))
                .values()
                .iterator()
                .next();

        assertThat(held)
                .isInstanceOfSatisfying(
                        Disposition.RetryAfter.class,
                        retry -> assertThat(retry.delay()).isGreaterThan(Registrations.LEASE));
        clock.advance(((Disposition.RetryAfter) held).delay());
        assertThat(deliver(step, 3, List.of(registered(instanceId))).values()).containsOnly(done());
        assertThat(ssm.instance(instanceId).orElseThrow().tags()).containsEntry(InstanceTags.NAME, "web-19");
        assertThat(notifier.sent()).hasSize(1);
    }

    @Test
    void twoInvocationsHandlingBothRoutesAtOnceActOnceTheOtherComesBack() {
        String instanceId = machine(singleUse, "web-09");
        ssm.faults()
                .beforeNext(
                        FakeSsm.Operation.TAG,
                        () -> assertThat(deliver(step(), trail(instanceId)).get(0))
                                .isInstanceOf(Disposition.RetryAfter.class));

        assertThat(deliver(step, registered(instanceId))).containsOnly(done());

        assertThat(deliver(step, 2, List.of(trail(instanceId))).values()).containsOnly(done());
        assertThat(ssm.instance(instanceId).orElseThrow().tagUpdates()).isEqualTo(1);
        assertThat(notifier.sent()).hasSize(1);
    }

    @Test
    void aSingleUseActivationUsedByAnotherMachineRaisesAnAlertNotAWelcome() {
        EnrollmentResult enrolled = enroll(singleUse, "web-10");
        String instanceId = ssm.registerMachine(enrolled.activationId());
        ssm.report(instanceId, "laptop-of-someone", "198.51.100.4");

        deliver(step, registered(instanceId));

        Notice alert = sent(NoticeKind.REGISTRATION_MISMATCH).get(0);
        assertThat(notifier.sent()).containsExactly(alert);
        assertThat(alert.isAlert()).isTrue();
        assertThat(alert.summary()).contains("web-10", "laptop-of-someone", enrolled.enrollmentId());
        assertThat(alert.nextSteps()).anySatisfy(step -> assertThat(step).contains("hob token revoke"));
        assertThat(ssm.instance(instanceId).orElseThrow().tags())
                .containsEntry(InstanceTags.STATUS, "mismatch")
                .doesNotContainKey(InstanceTags.NAME);
    }

    @Test
    void aRegistrationWithAnActivationThisDeploymentDidNotIssueRaisesAnAlertAndIsTaggedUnmanaged() {
        String activationId = ssm.createdElsewhere(spec(Map.of()), clock.instant());
        String instanceId = ssm.registerMachine(activationId);
        ssm.report(instanceId, "rogue", "203.0.113.9");

        deliver(step, registered(instanceId));

        Notice alert = sent(NoticeKind.UNMANAGED_REGISTRATION).get(0);
        assertThat(notifier.sent()).containsExactly(alert);
        assertThat(alert.summary()).contains(activationId).contains("stays registered");
        assertThat(fact(alert, "computerName")).contains("rogue");
        assertThat(ssm.instance(instanceId).orElseThrow().tags()).containsEntry(InstanceTags.STATUS, "unmanaged");
        assertThat(ssm.deregisteredInstances()).isEmpty();
    }

    @Test
    void withTheOptionOnAnUnmanagedInstanceIsDeregisteredAndItsDeregistrationEventSaysNothingMore() {
        Registrations strict = step(settings(10, true));
        String activationId = ssm.createdElsewhere(spec(Map.of()), clock.instant());
        String instanceId = ssm.registerMachine(activationId);
        ssm.report(instanceId, "rogue", "203.0.113.9");

        deliver(strict, registered(instanceId));
        assertThat(deliver(strict, deregistered(instanceId, activationId))).containsOnly(done());

        assertThat(ssm.deregisteredInstances()).containsExactly(instanceId);
        assertThat(notifier.sent()).singleElement().satisfies(alert -> {
            assertThat(alert.kind()).isEqualTo(NoticeKind.UNMANAGED_REGISTRATION);
            assertThat(alert.summary()).contains("was deregistered");
        });
    }

    @Test
    void anotherDeploymentsRegistrationIsLeftToItSilently() {
        String activationId = ssm.createdElsewhere(
                spec(Map.of(InstanceTags.STACK, "arn:aws:cloudformation:us-east-1:123456789012:stack/theirs/2")),
                clock.instant());
        String instanceId = ssm.registerMachine(activationId);
        ssm.report(instanceId, "theirs-01", "10.1.1.1");

        assertThat(deliver(step, registered(instanceId))).containsOnly(done());

        assertThat(notifier.sent()).isEmpty();
        assertThat(ssm.instance(instanceId).orElseThrow().tagUpdates()).isZero();
    }

    @Test
    void anActivationOfOursThatACrashLeftUnrecordedIsWelcomedAsUnsure() {
        String activationId = ssm.createdElsewhere(
                spec(Map.of(InstanceTags.STACK, STACK, InstanceTags.FLEET, "web")), clock.instant());
        String instanceId = ssm.registerMachine(activationId);
        ssm.report(instanceId, "orphan-01", "10.1.1.2");

        deliver(step, registered(instanceId));

        Notice welcome = sent(NoticeKind.MACHINE_REGISTERED).get(0);
        assertThat(welcome.title()).contains("matched to no enrollment");
        assertThat(fact(welcome, "fleet")).contains("web");
        assertThat(ssm.instance(instanceId).orElseThrow().tags()).containsEntry(InstanceTags.NAME, "orphan-01");
    }

    private static dev.hybridonboarding.activation.ActivationSpec spec(Map<String, String> tags) {
        return new dev.hybridonboarding.activation.ActivationSpec(
                "Role", 5, NOW.plus(Duration.ofDays(1)), null, "by hand", tags);
    }
}
