package dev.hybridonboarding.enrollment;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hybridonboarding.activation.ActivationCode;
import dev.hybridonboarding.activation.ActivationOwner;
import dev.hybridonboarding.fleet.Fleet;
import dev.hybridonboarding.fleet.FleetMode;
import dev.hybridonboarding.log.StructuredLog;
import dev.hybridonboarding.rotation.SharedActivationStore;
import dev.hybridonboarding.testing.FakeCodeVault;
import dev.hybridonboarding.testing.FakeSsm;
import dev.hybridonboarding.testing.InMemoryTable;
import dev.hybridonboarding.testing.TestClock;
import dev.hybridonboarding.token.EnrollmentToken;
import dev.hybridonboarding.token.TokenIssuer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The enrollment service on in-memory fakes of every port, with a clock the test moves: tests state behaviour as
 * what is then stored, created and answered.
 */
final class EnrollmentWorld {

    static final Instant NOW = Instant.parse("2026-11-30T12:00:00Z");
    static final String ROLE = "HybridOnboardingInstanceRole";
    static final String SOURCE_IP = "203.0.113.10";
    static final ActivationOwner OWNER =
            new ActivationOwner("arn:aws:cloudformation:us-east-1:123456789012:stack/test/1");
    private static final SecureRandom RANDOM = new SecureRandom();

    final TestClock clock = new TestClock(NOW);
    final InMemoryTable table = new InMemoryTable();
    final FakeSsm ssm = new FakeSsm(clock);
    final FakeCodeVault vault = new FakeCodeVault();
    private final ByteArrayOutputStream logged = new ByteArrayOutputStream();
    private final Set<String> secrets = new HashSet<>();
    private EnrollmentStore enrollments = table;
    private SharedActivationStore sharedActivations = table;
    private Fleet templateFleet = singleUseFleet();
    private EnrollmentService service;

    static Fleet singleUseFleet() {
        return Fleet.withDefaults("default", FleetMode.SINGLE_USE, ROLE)
                .withTags(Map.of("team", "platform"))
                .withAcceptedTagKeys(Set.of("rack", "env"));
    }

    static Fleet sharedFleet() {
        return Fleet.withDefaults("edge", FleetMode.SHARED, ROLE)
                .withRegistrationLimit(3)
                .withVersion(1);
    }

    static EnrollmentRequest request(String machineId, Map<String, String> tags) {
        return new EnrollmentRequest("web-01", Platform.LINUX, Optional.ofNullable(machineId), tags);
    }

    /** Replaces the table's enrollment port, e.g. by a spy for answers the fake cannot give. */
    EnrollmentWorld withEnrollmentStore(EnrollmentStore store) {
        this.enrollments = store;
        this.service = null;
        return this;
    }

    /** Replaces the table's shared-activation port, e.g. by a spy for answers the fake cannot give. */
    EnrollmentWorld withSharedActivationStore(SharedActivationStore store) {
        this.sharedActivations = store;
        this.service = null;
        return this;
    }

    EnrollmentWorld withTemplateFleet(Fleet fleet) {
        this.templateFleet = fleet;
        this.service = null;
        return this;
    }

    /** Stores a fleet, as the admin CLI does. */
    EnrollmentWorld withStoredFleet(Fleet fleet) {
        table.putFleet(fleet.withVersion(1), 0, NOW);
        return this;
    }

    EnrollmentService service() {
        if (service == null) {
            service = new EnrollmentService(
                    new EnrollmentService.Ports(enrollments, sharedActivations, ssm, vault),
                    new EnrollmentService.Settings(templateFleet, OWNER, "us-east-1", FailurePolicy.DEFAULT),
                    clock,
                    RANDOM,
                    new StructuredLog(new PrintStream(logged, true, StandardCharsets.UTF_8)));
        }
        return service;
    }

    /** A token of the fleet, stored as the admin CLI stores it. */
    TokenIssuer.Issued token(String fleet, int maxUses) {
        return token(fleet, maxUses, List.of());
    }

    TokenIssuer.Issued token(String fleet, int maxUses, List<String> sourceCidrs) {
        TokenIssuer.Issued issued = new TokenIssuer(RANDOM)
                .issue(fleet, maxUses, Duration.ofHours(24), sourceCidrs, "test", NOW.minusSeconds(60));
        table.putToken(issued.token());
        remember(issued.bearer().reveal());
        return issued;
    }

    EnrollmentToken stored(TokenIssuer.Issued issued) {
        return table.token(issued.token().tokenId()).orElseThrow();
    }

    void remember(String bearer) {
        secrets.add(bearer.substring(bearer.lastIndexOf('.') + 1));
    }

    EnrollmentAttempt attempt(String bearer, EnrollmentRequest request, String sourceIp) {
        return new EnrollmentAttempt(
                bearer,
                new Requester(sourceIp, "curl/8"),
                request,
                clock.instant().plusSeconds(29));
    }

    EnrollmentResult enroll(TokenIssuer.Issued issued, EnrollmentRequest request) {
        return service().enroll(attempt(issued.bearer().reveal(), request, SOURCE_IP));
    }

    EnrollmentRejectedException refusal(TokenIssuer.Issued issued, EnrollmentRequest request) {
        return refusal(issued.bearer().reveal(), request, SOURCE_IP);
    }

    EnrollmentRejectedException refusal(String bearer, EnrollmentRequest request, String sourceIp) {
        return refusal(attempt(bearer, request, sourceIp));
    }

    EnrollmentRejectedException refusal(EnrollmentAttempt attempt) {
        try {
            EnrollmentResult result = service().enroll(attempt);
            throw new AssertionError("expected a refusal, got " + result.activationId());
        } catch (EnrollmentRejectedException rejected) {
            return rejected;
        }
    }

    String log() {
        return logged.toString(StandardCharsets.UTF_8);
    }

    void assertNothingSecretWasLogged() {
        String log = log();
        assertThat(log.contains("hob_")).as("a bearer token was logged").isFalse();
        assertThat(ssm.issuedCodes().stream().map(ActivationCode::reveal).filter(log::contains))
                .as("activation codes in the log")
                .isEmpty();
        assertThat(secrets.stream().filter(log::contains))
                .as("token secrets in the log")
                .isEmpty();
    }
}
