package dev.hybridonboarding.registration;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hybridonboarding.activation.InstanceTags;
import dev.hybridonboarding.notification.NoticeKind;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** A registration whose events were all dropped is found by the sweep and handled through the same code. */
class SweepTest extends RegistrationFixture {

    private final Registrations step = step();

    @Test
    void aRegistrationWithNoEventIsFoundByTheSweepAndHandledOnce() {
        String dropped = machine(singleUse, "web-40");
        String delivered = machine(singleUse, "web-41");
        deliver(step, registered(delivered));
        clock.advance(Duration.ofMinutes(5));

        SweepRun run = step.sweep();

        assertThat(run.enqueued()).isEqualTo(1);
        assertThat(run.instances()).isEqualTo(2);
        assertThat(deliverQueued(step)).containsOnly(done());
        assertThat(ssm.instance(dropped).orElseThrow().tags()).containsEntry(InstanceTags.NAME, "web-40");
        assertThat(sent(NoticeKind.MACHINE_REGISTERED)).hasSize(2)
                .anySatisfy(notice -> assertThat(fact(notice, "heardThrough")).contains("scheduled sweep"));

        assertThat(step.sweep().enqueued()).isZero();
    }

    @Test
    void aRecentRegistrationIsLeftToItsEventsForAWhile() {
        machine(singleUse, "web-42");

        assertThat(step.sweep().enqueued()).isZero();
        assertThat(queue.take()).isEmpty();
    }

    @Test
    void activationsLongExpiredAreNotSweptAndOthersActivationsNever() {
        String old = machine(singleUse, "web-43");
        clock.advance(Duration.ofDays(3));

        SweepRun run = step.sweep();

        assertThat(run.enqueued()).isZero();
        assertThat(ssm.instance(old)).isPresent();
    }

    @Test
    void aDigestWhoseMessageWasLostIsHadSentByTheSweep() {
        Registrations digesting = step(settings(1, false));
        deliver(digesting, registered(machine(singleUse, "d-1")), registered(machine(singleUse, "d-2")));
        queue.take();
        clock.advance(Duration.ofMinutes(6));

        SweepRun run = digesting.sweep();

        assertThat(run.digestsDue()).isEqualTo(1);
        deliverQueued(digesting);
        assertThat(sent(NoticeKind.MACHINES_REGISTERED)).hasSize(1);
    }
}
