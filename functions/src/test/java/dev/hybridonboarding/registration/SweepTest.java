package dev.hybridonboarding.registration;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hybridonboarding.activation.InstanceTags;
import dev.hybridonboarding.notification.NoticeKind;
import dev.hybridonboarding.testing.FakeSsm;
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

        SweepRun run = step.sweep(clock.instant().plusSeconds(60));

        assertThat(run.enqueued()).isEqualTo(1);
        assertThat(run.instances()).isEqualTo(2);
        assertThat(deliverQueued(step)).containsOnly(done());
        assertThat(ssm.instance(dropped).orElseThrow().tags()).containsEntry(InstanceTags.NAME, "web-40");
        assertThat(sent(NoticeKind.MACHINE_REGISTERED))
                .hasSize(2)
                .anySatisfy(notice -> assertThat(fact(notice, "heardThrough")).contains("scheduled sweep"));

        assertThat(step.sweep(clock.instant().plusSeconds(60)).enqueued()).isZero();
    }

    @Test
    void aRecentRegistrationIsLeftToItsEventsForAWhile() {
        machine(singleUse, "web-42");

        assertThat(step.sweep(clock.instant().plusSeconds(60)).enqueued()).isZero();
        assertThat(queue.take()).isEmpty();
    }

    @Test
    void activationsLongExpiredAreNotSweptAndOthersActivationsNever() {
        String old = machine(singleUse, "web-43");
        clock.advance(Duration.ofDays(3));

        SweepRun run = step.sweep(clock.instant().plusSeconds(60));

        assertThat(run.enqueued()).isZero();
        assertThat(ssm.instance(old)).isPresent();
    }

    @Test
    void aTickDoesWhatFitsBeforeItsDeadlineNewestActivationsFirst() {
        for (int i = 0; i < 150; i++) {
            enroll(singleUse, "many-" + i);
            clock.advance(Duration.ofSeconds(1));
        }
        String newest = machine(singleUse, "newest");
        clock.advance(Duration.ofMinutes(5));
        ssm.faults().beforeNext(FakeSsm.Operation.LIST_INSTANCES, () -> clock.advance(Duration.ofMinutes(1)));

        SweepRun run = step.sweep(clock.instant().plusSeconds(30));

        assertThat(run.activations()).isEqualTo(Sweep.BATCH);
        assertThat(run.deferredActivations()).isEqualTo(151 - Sweep.BATCH);
        assertThat(run.enqueued()).isEqualTo(1);
        assertThat(deliverQueued(step)).containsOnly(done());
        assertThat(ssm.instance(newest).orElseThrow().tags()).containsEntry(InstanceTags.NAME, "newest");
    }

    @Test
    void aDigestWhoseMessageWasLostIsHadSentByTheSweep() {
        Registrations digesting = step(settings(1, false));
        deliver(digesting, registered(machine(singleUse, "d-1")), registered(machine(singleUse, "d-2")));
        queue.take();
        clock.advance(Duration.ofMinutes(6));

        SweepRun run = digesting.sweep(clock.instant().plusSeconds(60));

        assertThat(run.digestsDue()).isEqualTo(1);
        deliverQueued(digesting);
        assertThat(sent(NoticeKind.MACHINES_REGISTERED)).hasSize(1);
    }
}
