package dev.hybridonboarding.rotation;

import dev.hybridonboarding.activation.ActivationOwner;
import dev.hybridonboarding.enrollment.EnrollmentAttempt;
import dev.hybridonboarding.enrollment.EnrollmentRequest;
import dev.hybridonboarding.enrollment.EnrollmentResult;
import dev.hybridonboarding.enrollment.EnrollmentService;
import dev.hybridonboarding.enrollment.FailurePolicy;
import dev.hybridonboarding.enrollment.Platform;
import dev.hybridonboarding.enrollment.Requester;
import dev.hybridonboarding.fleet.Fleet;
import dev.hybridonboarding.fleet.FleetMode;
import dev.hybridonboarding.log.StructuredLog;
import dev.hybridonboarding.support.Pacer;
import dev.hybridonboarding.testing.FakeCodeVault;
import dev.hybridonboarding.testing.FakeSsm;
import dev.hybridonboarding.testing.InMemoryTable;
import dev.hybridonboarding.testing.RecordingNotifier;
import dev.hybridonboarding.testing.TestClock;
import dev.hybridonboarding.token.TokenIssuer;
import java.io.OutputStream;
import java.io.PrintStream;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** A rotation on in-memory fakes of every port, with the enrollment service beside it and a clock the test moves. */
abstract class RotationFixture {

    static final Instant NOW = Instant.parse("2026-11-30T12:00:00Z");
    static final ActivationOwner OWNER =
            new ActivationOwner("arn:aws:cloudformation:us-east-1:123456789012:stack/ours/1");
    static final RotationPolicy POLICY = new RotationPolicy(0.25, 0.10, Duration.ofHours(1), RotationPolicy.ORPHAN_AGE);
    static final Duration INTERVAL = Duration.ofMinutes(15);
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final StructuredLog NOWHERE = new StructuredLog(new PrintStream(OutputStream.nullOutputStream()));

    final TestClock clock = new TestClock(NOW);
    final InMemoryTable table = new InMemoryTable();
    final FakeSsm ssm = new FakeSsm(clock);
    final FakeCodeVault vault = new FakeCodeVault();
    final RecordingNotifier notifier = new RecordingNotifier();
    final Fleet shared = Fleet.withDefaults("edge", FleetMode.SHARED, "Role")
            .withRegistrationLimit(100)
            .withVersion(1);
    final Fleet singleUse =
            Fleet.withDefaults("web", FleetMode.SINGLE_USE, "Role").withVersion(1);
    final Pacer pacer = new Pacer(1000, duration -> {});
    final Rotation rotation = new Rotation(
            new Rotation.Ports(table, table, ssm, ssm, vault, notifier),
            new Rotation.Settings(singleUse, OWNER, POLICY, 1000),
            pacer,
            clock,
            RANDOM,
            NOWHERE);
    final EnrollmentService enrollment = new EnrollmentService(
            new EnrollmentService.Ports(table, table, ssm, vault),
            new EnrollmentService.Settings(singleUse, OWNER, "us-east-1", FailurePolicy.DEFAULT),
            clock,
            RANDOM,
            NOWHERE);

    RotationFixture() {
        table.putFleet(shared, 0, NOW);
        table.putFleet(singleUse, 0, NOW);
    }

    RotationRun run() {
        return rotation.run(clock.instant().plus(Duration.ofMinutes(5)));
    }

    EnrollmentResult enroll(Fleet fleet, String host) {
        TokenIssuer.Issued issued =
                new TokenIssuer(RANDOM).issue(fleet.name(), 1, Duration.ofDays(60), List.of(), "t", clock.instant());
        table.putToken(issued.token());
        return enrollment.enroll(new EnrollmentAttempt(
                issued.bearer().reveal(),
                new Requester("192.0.2.1", "t"),
                new EnrollmentRequest(host, Platform.LINUX, Optional.of("machine-" + host), Map.of()),
                clock.instant().plusSeconds(29)));
    }

    String current() {
        return table.current("edge").orElseThrow().activationId();
    }
}
