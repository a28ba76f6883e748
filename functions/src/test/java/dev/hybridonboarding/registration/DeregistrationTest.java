package dev.hybridonboarding.registration;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hybridonboarding.enrollment.EnrollmentResult;
import dev.hybridonboarding.notification.Notice;
import dev.hybridonboarding.notification.NoticeKind;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A deregistration is announced and marks the enrollment, whether or not its registration came first. */
class DeregistrationTest extends RegistrationFixture {

    private final Registrations step = step();

    @Test
    void aDeregistrationIsAnnouncedOnceAndMarksTheEnrollment() {
        EnrollmentResult enrolled = enroll(singleUse, "web-20");
        String instanceId = ssm.registerMachine(enrolled.activationId());
        ssm.report(instanceId, "web-20", "10.0.0.20");
        deliver(step, registered(instanceId));
        ssm.deregister(instanceId);

        assertThat(deliver(
                        step,
                        deregistered(instanceId, enrolled.activationId()),
                        deregistered(instanceId, enrolled.activationId())))
                .containsOnly(done());
        assertThat(deliver(step, deregistered(instanceId, enrolled.activationId())))
                .containsOnly(done());

        Notice goodbye = sent(NoticeKind.MACHINE_DEREGISTERED).get(0);
        assertThat(sent(NoticeKind.MACHINE_DEREGISTERED)).hasSize(1);
        assertThat(goodbye.title()).isEqualTo("Machine web-20 deregistered");
        assertThat(goodbye.threadId())
                .isEqualTo(sent(NoticeKind.MACHINE_REGISTERED).get(0).threadId());
        assertThat(registrations.link(enrolled.enrollmentId())).hasValueSatisfying(link -> {
            assertThat(link.instanceId()).isEqualTo(instanceId);
            assertThat(link.deregisteredAt()).isPresent();
        });
    }

    @Test
    void aDeregistrationArrivingBeforeItsRegistrationIsHandledAndTheRegistrationThenChangesNothing() {
        EnrollmentResult enrolled = enroll(singleUse, "web-21");
        String instanceId = ssm.registerMachine(enrolled.activationId());
        var registration = trail(instanceId);
        ssm.deregister(instanceId);

        assertThat(deliver(step, deregistered(instanceId, enrolled.activationId())))
                .containsOnly(done());

        Notice goodbye = sent(NoticeKind.MACHINE_DEREGISTERED).get(0);
        assertThat(fact(goodbye, "hostname")).contains("web-21");
        assertThat(fact(goodbye, "enrollmentId")).contains(enrolled.enrollmentId());
        assertThat(registrations.link(enrolled.enrollmentId()).orElseThrow().deregisteredAt())
                .isPresent();

        assertThat(deliver(step, 1, List.of(registration)).values()).containsOnly(done());

        assertThat(notifier.sent()).containsExactly(goodbye);
        assertThat(registrations.link(enrolled.enrollmentId()).orElseThrow().instanceId())
                .isEqualTo(instanceId);
        assertThat(registrations.record(instanceId).orElseThrow().registrationHandledAt())
                .isPresent();
    }

    @Test
    void registrationAndDeregistrationInOneBatchAreHandledInOrder() {
        EnrollmentResult enrolled = enroll(singleUse, "web-22");
        String instanceId = ssm.registerMachine(enrolled.activationId());
        ssm.report(instanceId, "web-22", "10.0.0.22");

        assertThat(deliver(step, registered(instanceId), deregistered(instanceId, enrolled.activationId())))
                .containsOnly(done());

        assertThat(notifier.sent())
                .extracting(Notice::kind)
                .containsExactly(NoticeKind.MACHINE_REGISTERED, NoticeKind.MACHINE_DEREGISTERED);
    }
}
