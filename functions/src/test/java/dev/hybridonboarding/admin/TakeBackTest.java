package dev.hybridonboarding.admin;

import static org.assertj.core.api.Assertions.assertThat;

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
import dev.hybridonboarding.rotation.SharedActivationInstaller;
import dev.hybridonboarding.testing.FakeCodeVault;
import dev.hybridonboarding.testing.FakeSsm;
import dev.hybridonboarding.testing.InMemoryTable;
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
import org.junit.jupiter.api.Test;

/** Revoking a token or disabling a fleet takes back what it handed out and nobody has used. */
class TakeBackTest {

    private static final Instant NOW = Instant.parse("2026-11-30T12:00:00Z");
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final StructuredLog NOWHERE = new StructuredLog(new PrintStream(OutputStream.nullOutputStream()));

    private final TestClock clock = new TestClock(NOW);
    private final InMemoryTable table = new InMemoryTable();
    private final FakeSsm ssm = new FakeSsm(clock);
    private final FakeCodeVault vault = new FakeCodeVault();
    private final Fleet singleUse =
            Fleet.withDefaults("web", FleetMode.SINGLE_USE, "Role").withVersion(1);
    private final Fleet shared = Fleet.withDefaults("edge", FleetMode.SHARED, "Role")
            .withRegistrationLimit(50)
            .withVersion(1);
    private static final ActivationOwner OWNER = new ActivationOwner("stack-under-test");
    private final EnrollmentService service = new EnrollmentService(
            new EnrollmentService.Ports(table, table, ssm, vault),
            new EnrollmentService.Settings(singleUse, OWNER, "us-east-1", FailurePolicy.DEFAULT),
            clock,
            RANDOM,
            NOWHERE);
    private final TakeBack takeBack = new TakeBack(
            table, ssm, new SharedActivationInstaller(table, ssm, vault, OWNER, clock, RANDOM, NOWHERE), clock);

    TakeBackTest() {
        table.putFleet(singleUse, 0, NOW);
        table.putFleet(shared, 0, NOW);
    }

    private TokenIssuer.Issued token(Fleet fleet) {
        TokenIssuer.Issued issued =
                new TokenIssuer(RANDOM).issue(fleet.name(), 10, Duration.ofHours(1), List.of(), "t", NOW);
        table.putToken(issued.token());
        return issued;
    }

    private EnrollmentResult enroll(TokenIssuer.Issued issued, String host) {
        return service.enroll(new EnrollmentAttempt(
                issued.bearer().reveal(),
                new Requester("192.0.2.1", "t"),
                new EnrollmentRequest(host, Platform.LINUX, Optional.of("machine-" + host), Map.of()),
                NOW.plusSeconds(29)));
    }

    @Test
    void aRevokedTokensUnusedSingleUseActivationsAreDeletedAndUsedOnesKept() {
        TokenIssuer.Issued leaked = token(singleUse);
        TokenIssuer.Issued other = token(singleUse);
        EnrollmentResult unused = enroll(leaked, "a");
        EnrollmentResult registered = enroll(leaked, "b");
        EnrollmentResult someoneElses = enroll(other, "c");
        ssm.register(registered.activationId());

        TakeBack.Report report = takeBack.afterTokenRevoked(leaked.token().tokenId(), singleUse);

        assertThat(report.deletedSingleUse()).containsExactly(unused.activationId());
        assertThat(report.registeredAlready()).containsExactly(registered.activationId());
        assertThat(ssm.deleted()).containsExactly(unused.activationId());
        assertThat(ssm.activation(someoneElses.activationId())).isPresent();
    }

    @Test
    void aSharedActivationARevokedTokenReceivedIsReplacedThenDeleted() {
        TokenIssuer.Issued leaked = token(shared);
        EnrollmentResult handed = enroll(leaked, "a");

        TakeBack.Report report = takeBack.afterTokenRevoked(leaked.token().tokenId(), shared);

        assertThat(report.deletedShared()).containsExactly(handed.activationId());
        assertThat(report.newSharedActivation()).isPresent().isNotEqualTo(Optional.of(handed.activationId()));
        assertThat(table.current("edge").orElseThrow().activationId())
                .isEqualTo(report.newSharedActivation().get());
        assertThat(ssm.activation(handed.activationId())).isEmpty();
        assertThat(enroll(token(shared), "b").activationId())
                .isEqualTo(report.newSharedActivation().get());
    }

    @Test
    void aSharedActivationTheRevokedTokenNeverReceivedStays() {
        EnrollmentResult handed = enroll(token(shared), "a");

        TakeBack.Report report =
                takeBack.afterTokenRevoked(token(shared).token().tokenId(), shared);

        assertThat(report.nothing()).isTrue();
        assertThat(ssm.activation(handed.activationId())).isPresent();
    }

    @Test
    void aDisabledFleetLosesEveryActivationNobodyUsedAndGetsNoNewOne() {
        EnrollmentResult handed = enroll(token(shared), "a");
        table.putFleet(shared.withEnabled(false).withVersion(2), 1, NOW);

        TakeBack.Report report = takeBack.afterFleetDisabled(shared.withEnabled(false));

        assertThat(report.deletedShared()).containsExactly(handed.activationId());
        assertThat(report.newSharedActivation()).isEmpty();
        assertThat(ssm.live()).isEmpty();
    }
}
