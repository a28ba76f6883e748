package dev.hybridonboarding.registration;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hybridonboarding.notification.Notice;
import dev.hybridonboarding.notification.NoticeKind;
import dev.hybridonboarding.testing.RecordingQueue;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Past the threshold in a window, one digest replaces the welcomes; alerts always go out. */
class DigestTest extends RegistrationFixture {

    private final Registrations step = step(settings(3, false));

    @Test
    void aBurstGetsItsFirstWelcomesAndThenOneDigestNamingEveryOtherMachine() {
        List<Map<String, Object>> events = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            events.add(registered(machine(singleUse, "burst-" + i)));
        }

        assertThat(deliver(step, 1, events).values()).containsOnly(done());

        assertThat(sent(NoticeKind.MACHINE_REGISTERED)).hasSize(3);
        List<RecordingQueue.Sent> queued = queue.take();
        assertThat(queued)
                .singleElement()
                .satisfies(due -> assertThat(due.delay())
                        .isEqualTo(Duration.between(
                                clock.instant(), Instant5.end(clock.instant()).plusSeconds(15))));

        List<Map<String, Object>> dueMessages =
                queued.stream().map(RecordingQueue.Sent::body).toList();
        assertThat(deliver(step, 1, dueMessages).values()).singleElement().isInstanceOf(Disposition.RetryAfter.class);
        clock.advance(Duration.ofMinutes(5));
        assertThat(deliver(step, 2, dueMessages).values()).containsOnly(done());
        assertThat(deliver(step, 1, dueMessages).values()).as("delivered again").containsOnly(done());

        Notice digest = sent(NoticeKind.MACHINES_REGISTERED).get(0);
        assertThat(sent(NoticeKind.MACHINES_REGISTERED)).hasSize(1);
        assertThat(fact(digest, "count")).contains("7");
        assertThat(fact(digest, "fleets")).contains("web: 7");
        assertThat(fact(digest, "machines").orElseThrow())
                .contains("burst-3", "burst-9")
                .doesNotContain("burst-2");
        assertThat(notifier.sent()).hasSize(4);
    }

    @Test
    void alertsAreNeverDigested() {
        for (int i = 0; i < 4; i++) {
            deliver(step, registered(machine(singleUse, "fine-" + i)));
        }
        String leaked = ssm.registerMachine(enroll(singleUse, "web-30").activationId());
        ssm.report(leaked, "elsewhere", "203.0.113.1");

        deliver(step, registered(leaked));

        assertThat(sent(NoticeKind.REGISTRATION_MISMATCH)).hasSize(1);
    }

    @Test
    void aWelcomeCountedAfterItsWindowsDigestWentOutIsSentAlone() {
        for (int i = 0; i < 4; i++) {
            deliver(step, registered(machine(singleUse, "early-" + i)));
        }
        String late = machine(singleUse, "late");
        clock.advance(Duration.ofMinutes(5));
        deliverQueued(step);
        int before = notifier.sent().size();
        clock.advance(Duration.ofMinutes(-5));

        deliver(step, registered(late));

        assertThat(notifier.sent()).hasSize(before + 1);
        assertThat(notifier.sent().get(before).kind()).isEqualTo(NoticeKind.MACHINE_REGISTERED);
    }

    /** The window the tests' clock is in: five minutes, aligned to the epoch. */
    private static final class Instant5 {
        static java.time.Instant end(java.time.Instant at) {
            long window = Duration.ofMinutes(5).toMillis();
            return java.time.Instant.ofEpochMilli(Math.floorDiv(at.toEpochMilli(), window) * window + window);
        }
    }
}
