package dev.hybridonboarding.registration;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hybridonboarding.activation.InstanceTags;
import dev.hybridonboarding.enrollment.EnrollmentResult;
import dev.hybridonboarding.notification.Notice;
import dev.hybridonboarding.notification.NoticeKind;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Machines of a shared fleet all register with one activation: each is matched by the name it reports, best effort. */
class SharedFleetRegistrationTest extends RegistrationFixture {

    private final Registrations step = step();

    @Test
    void eachMachineIsMatchedToItsOwnEnrollmentByTheNameItReportsAndGetsItsRequestTags() {
        EnrollmentResult a = enroll(shared, "edge-a", Map.of("rack", "r1"));
        EnrollmentResult b = enroll(shared, "edge-b", Map.of("rack", "r2"));
        assertThat(a.activationId()).isEqualTo(b.activationId());
        String second = ssm.registerMachine(b.activationId());
        String first = ssm.registerMachine(a.activationId());
        ssm.report(first, "EDGE-A", "10.0.0.1");
        ssm.report(second, "edge-b.site.example", "10.0.0.2");

        deliver(step, registered(first), registered(second));

        assertThat(ssm.instance(first).orElseThrow().tags())
                .containsEntry(InstanceTags.NAME, "edge-a")
                .containsEntry("rack", "r1")
                .containsEntry(InstanceTags.ENROLLMENT_ID, a.enrollmentId());
        assertThat(ssm.instance(second).orElseThrow().tags())
                .containsEntry(InstanceTags.NAME, "edge-b")
                .containsEntry("rack", "r2")
                .containsEntry(InstanceTags.ENROLLMENT_ID, b.enrollmentId());
        assertThat(registrations.link(a.enrollmentId()).orElseThrow().instanceId())
                .isEqualTo(first);
        assertThat(registrations.link(b.enrollmentId()).orElseThrow().instanceId())
                .isEqualTo(second);
        assertThat(sent(NoticeKind.MACHINE_REGISTERED))
                .hasSize(2)
                .allSatisfy(notice -> assertThat(fact(notice, "match")).contains("sure"));
    }

    @Test
    void twoEnrollmentsUnderOneHostnameGoOneToEachMachineAndTheMessagesSayTheMatchIsUnsure() {
        EnrollmentResult older = enroll(shared, "kiosk");
        EnrollmentResult newer = enroll(shared, "kiosk");
        String one = ssm.registerMachine(older.activationId());
        String other = ssm.registerMachine(newer.activationId());
        ssm.report(one, "kiosk", "10.0.0.3");
        ssm.report(other, "kiosk", "10.0.0.4");

        deliver(step, registered(one), registered(other));

        assertThat(registrations.link(older.enrollmentId()).orElseThrow().instanceId())
                .isNotEqualTo(
                        registrations.link(newer.enrollmentId()).orElseThrow().instanceId());
        assertThat(sent(NoticeKind.MACHINE_REGISTERED))
                .hasSize(2)
                .allSatisfy(notice -> assertThat(fact(notice, "match").orElseThrow())
                        .startsWith("unsure")
                        .contains("2 enrollments"));
    }

    @Test
    void aMachineReportingAnotherNameIsMatchedByItsAddressAndTheMessageSaysSo() {
        EnrollmentResult enrolled = enroll(shared, "edge-c");
        String instanceId = ssm.registerMachine(enrolled.activationId());
        ssm.report(instanceId, "localhost", "192.0.2.10");

        deliver(step, registered(instanceId));

        Notice welcome = sent(NoticeKind.MACHINE_REGISTERED).get(0);
        assertThat(welcome.title()).contains("(match unsure)");
        assertThat(fact(welcome, "match").orElseThrow()).contains("by address only");
        assertThat(registrations.link(enrolled.enrollmentId()).orElseThrow().instanceId())
                .isEqualTo(instanceId);
    }

    @Test
    void aMachineMatchingNoEnrollmentIsStillWelcomedUnderTheNameItReports() {
        EnrollmentResult enrolled = enroll(shared, "edge-d");
        String instanceId = ssm.registerMachine(enrolled.activationId());
        ssm.report(instanceId, "mystery", "198.51.100.77");

        deliver(step, registered(instanceId));

        Notice welcome = sent(NoticeKind.MACHINE_REGISTERED).get(0);
        assertThat(welcome.title()).isEqualTo("Machine mystery registered, matched to no enrollment");
        assertThat(fact(welcome, "fleet")).contains("edge");
        assertThat(ssm.instance(instanceId).orElseThrow().tags()).containsEntry(InstanceTags.NAME, "mystery");
        assertThat(registrations.link(enrolled.enrollmentId())).isEmpty();
    }
}
