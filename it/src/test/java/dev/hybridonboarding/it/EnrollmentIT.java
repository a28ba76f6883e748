package dev.hybridonboarding.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hybridonboarding.enrollment.EnrollmentRecord;
import dev.hybridonboarding.fleet.FleetMode;
import dev.hybridonboarding.token.BearerToken;
import dev.hybridonboarding.token.EnrollmentToken;
import dev.hybridonboarding.token.TokenIssuer;
import dev.hybridonboarding.token.TokenSecret;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** POST /v1/activations through the REST API, the function and the emulator: every answer, and what it costs. */
class EnrollmentIT {

    private static final String INVALID_TOKEN = "the enrollment token is invalid, expired or revoked";

    private final LocalStack stack = LocalStack.get();
    private final Api api = new Api(stack);
    private String fleet;

    @BeforeEach
    void freshFleet() {
        stack.clearFailureCounters();
        fleet = LocalStack.uniqueFleet("enroll");
        stack.fleets.create(
                fleet,
                FleetMode.SINGLE_USE,
                f -> f.withTags(Map.of("env", "test")).withAcceptedTagKeys(Set.of("rack")));
    }

    @AfterEach
    void noFaultsLeftBehind() {
        stack.clearFaults();
    }

    @AfterAll
    static void noSecretReachedALog() {
        Secrets.assertNoneLogged(LocalStack.get().functionLogFiles());
    }

    /** What an enrollment can spend or create; a refused request must leave all of it unchanged. */
    private record Ledger(long activations, int tokenUses, int enrollments) {}

    private Ledger ledger(EnrollmentToken token) {
        long activations = stack.ssm.describeActivationsPaginator(request -> {}).activationList().stream()
                .count();
        int uses = stack.store.token(token.tokenId()).map(EnrollmentToken::uses).orElse(0);
        int enrollments =
                stack.store.enrollments(token.fleet(), Instant.EPOCH, 1000).size();
        return new Ledger(activations, uses, enrollments);
    }

    private void assertRefused(ApiResponse response, int status, String code, Ledger before, EnrollmentToken token) {
        assertThat(response.status()).as(response.toString()).isEqualTo(status);
        assertThat(response.errorCode()).as(response.toString()).isEqualTo(code);
        assertThat(response.errorMessage()).isNotBlank();
        assertThat(response.json()).doesNotContainKey("activationCode");
        assertThat(ledger(token)).as("nothing spent or created").isEqualTo(before);
    }

    @Nested
    class Success {

        @Test
        void aRetryWithTheSameMachineIdGetsTheSameActivationAndSpendsNoUse() {
            TokenIssuer.Issued issued = stack.token(fleet, 1);
            String token = issued.bearer().reveal();

            ApiResponse first = api.enroll(token, Api.body("db-01", "machine-retry", Map.of()));
            ApiResponse retry = api.enroll(token, Api.body("db-01", "machine-retry", Map.of()));

            assertThat(first.status()).as(first.toString()).isEqualTo(201);
            assertThat(retry.status()).as(retry.toString()).isEqualTo(200);
            assertThat(retry.field("activationId")).isEqualTo(first.field("activationId"));
            assertThat(retry.field("activationCode").equals(first.field("activationCode")))
                    .as("same activation code")
                    .isTrue();
            assertThat(retry.field("enrollmentId")).isEqualTo(first.field("enrollmentId"));
            assertThat(retry.field("expiresAt")).isEqualTo(first.field("expiresAt"));
            assertThat(stack.store.token(issued.token().tokenId()).orElseThrow().uses())
                    .isEqualTo(1);

            ApiResponse otherMachine = api.enroll(token, Api.body("db-02", "machine-other", Map.of()));
            assertThat(otherMachine.status()).as(otherMachine.toString()).isEqualTo(403);
            assertThat(otherMachine.errorCode()).isEqualTo("token_exhausted");
        }

        @Test
        void aMachineResetAfterRegisteringGetsANewActivationForTheSameMachineId(
                @org.junit.jupiter.api.io.TempDir java.nio.file.Path agent) {
            TokenIssuer.Issued issued = stack.token(fleet, 2);
            String token = issued.bearer().reveal();
            ApiResponse first = api.enroll(token, Api.body("kiosk-01", "machine-reset", Map.of()));
            assertThat(first.status()).as(first.toString()).isEqualTo(201);
            FakeAgent.Registration registered = new FakeAgent(stack, agent, "kiosk-01")
                    .register(first.field("activationId"), first.field("activationCode"));
            assertThat(registered.succeeded()).as(registered.output()).isTrue();

            ApiResponse again = api.enroll(token, Api.body("kiosk-01", "machine-reset", Map.of()));

            assertThat(again.status()).as(again.toString()).isEqualTo(201);
            assertThat(again.field("activationId")).isNotEqualTo(first.field("activationId"));
            assertThat(stack.store.token(issued.token().tokenId()).orElseThrow().uses())
                    .isEqualTo(2);
            FakeAgent.Registration reRegistered = new FakeAgent(stack, agent, "kiosk-01")
                    .register(again.field("activationId"), again.field("activationCode"));
            assertThat(reRegistered.succeeded()).as(reRegistered.output()).isTrue();
        }

        @Test
        void everyEnrollmentIsRecordedForAudit() {
            TokenIssuer.Issued issued = stack.token(fleet, 2);
            Instant before = Instant.now().minusSeconds(1);

            ApiResponse response =
                    api.enroll(issued.bearer().reveal(), Api.body("app-07", "machine-audit", Map.of("rack", "r12")));

            assertThat(response.status()).as(response.toString()).isEqualTo(201);
            List<EnrollmentRecord> records = stack.store.enrollments(fleet, before, 10);
            assertThat(records).hasSize(1);
            EnrollmentRecord record = records.get(0);
            assertThat(record.enrollmentId()).isEqualTo(response.field("enrollmentId"));
            assertThat(record.tokenId()).isEqualTo(issued.token().tokenId());
            assertThat(record.fleet()).isEqualTo(fleet);
            assertThat(record.requester().sourceIp()).isEqualTo("127.0.0.1");
            assertThat(record.requester().userAgent()).isEqualTo("hybrid-onboarding-it/1.0");
            assertThat(record.request().hostname()).isEqualTo("app-07");
            assertThat(record.request().machineId()).contains("machine-audit");
            assertThat(record.request().tags()).containsExactly(Map.entry("rack", "r12"));
            assertThat(record.acceptedTags()).containsExactly(Map.entry("rack", "r12"));
            assertThat(record.activationId()).isEqualTo(response.field("activationId"));
            assertThat(record.createdAt()).isAfter(before);

            var activation = stack.ssm
                    .describeActivations(request -> request.filters(
                            filter -> filter.filterKey("ActivationIds").filterValues(response.field("activationId"))))
                    .activationList()
                    .get(0);
            assertThat(activation.registrationLimit()).isEqualTo(1);
            assertThat(activation.defaultInstanceName()).isEqualTo("app-07");
            assertThat(activation.iamRole()).isEqualTo(stack.templateFleet.instanceRole());
            assertThat(activation.tags())
                    .extracting(tag -> tag.key() + "=" + tag.value())
                    .contains(
                            "env=test",
                            "rack=r12",
                            "hybrid-onboarding:fleet=" + fleet,
                            "hybrid-onboarding:enrollment-id=" + response.field("enrollmentId"));
            assertThat(Duration.between(Instant.now(), activation.expirationDate()))
                    .isBetween(Duration.ofMinutes(55), Duration.ofMinutes(61));
        }

        @Test
        void aTokenPresentedAsAnotherFleetsIsInvalid() {
            TokenIssuer.Issued issued = stack.token(fleet, 1);
            String other = LocalStack.uniqueFleet("other");
            stack.fleets.create(other, FleetMode.SINGLE_USE, f -> f);
            BearerToken forged = new BearerToken(
                    other, issued.token().tokenId(), issued.bearer().secret());
            Ledger before = ledger(issued.token());

            assertRefused(
                    api.enroll(forged.reveal(), Api.body("web", null, null)),
                    401,
                    "invalid_token",
                    before,
                    issued.token());
        }

        @Test
        void aTokenFromAnAllowedNetworkWorks() {
            TokenIssuer.Issued issued = stack.token(fleet, 1, List.of("127.0.0.0/8"));

            ApiResponse response = api.enroll(issued.bearer().reveal(), Api.body("web-09", null, null));

            assertThat(response.status()).as(response.toString()).isEqualTo(201);
        }
    }

    @Nested
    class MalformedRequests {

        private TokenIssuer.Issued issued;
        private Ledger before;

        @BeforeEach
        void token() {
            issued = stack.token(fleet, 1);
            before = ledger(issued.token());
        }

        @Test
        void malformedJson() {
            assertRefused(
                    api.post("/v1/activations", issued.bearer().reveal(), "application/json", "{\"hostname\": "),
                    400,
                    "malformed_json",
                    before,
                    issued.token());
        }

        @Test
        void wrongContentType() {
            assertRefused(
                    api.post(
                            "/v1/activations",
                            issued.bearer().reveal(),
                            "text/plain",
                            Api.json(Api.body("web", null, null))),
                    415,
                    "unsupported_media_type",
                    before,
                    issued.token());
        }

        @Test
        void bodyOver16KiB() {
            Map<String, Object> body = Api.body("web", null, null);
            body.put("padding", "x".repeat(17 * 1024));
            assertRefused(api.enroll(issued.bearer().reveal(), body), 413, "payload_too_large", before, issued.token());
        }

        @Test
        void missingHostname() {
            Map<String, Object> body = Api.body("web", null, null);
            body.remove("hostname");
            assertRefused(api.enroll(issued.bearer().reveal(), body), 400, "invalid_hostname", before, issued.token());
        }

        @Test
        void overlongHostname() {
            assertRefused(
                    api.enroll(issued.bearer().reveal(), Api.body("h".repeat(254), null, null)),
                    400,
                    "invalid_hostname",
                    before,
                    issued.token());
        }

        @Test
        void tagsThatBreakAwsRules() {
            String token = issued.bearer().reveal();
            assertRefused(
                    api.enroll(token, Api.body("web", null, Map.of("aws:owner", "x"))),
                    400,
                    "invalid_tags",
                    before,
                    issued.token());
            assertRefused(
                    api.enroll(token, Api.body("web", null, Map.of("k".repeat(129), "x"))),
                    400,
                    "invalid_tags",
                    before,
                    issued.token());
            assertRefused(
                    api.enroll(token, Api.body("web", null, Map.of("rack", "v".repeat(257)))),
                    400,
                    "invalid_tags",
                    before,
                    issued.token());
            assertRefused(
                    api.enroll(token, Api.body("web", null, Map.of("rack", "a;b"))),
                    400,
                    "invalid_tags",
                    before,
                    issued.token());
            Map<String, String> many = new HashMap<>();
            for (int i = 0; i < 41; i++) {
                many.put("k" + i, "v");
            }
            assertRefused(api.enroll(token, Api.body("web", null, many)), 400, "invalid_tags", before, issued.token());
        }

        @Test
        void tagKeysTheFleetDoesNotAccept() {
            assertRefused(
                    api.enroll(issued.bearer().reveal(), Api.body("web", null, Map.of("owner", "me"))),
                    403,
                    "tag_not_accepted",
                    before,
                    issued.token());
        }
    }

    @Nested
    class Tokens {

        private void assertInvalidToken(String token, EnrollmentToken stored) {
            Ledger before = ledger(stored);
            ApiResponse response = api.enroll(token, Api.body("web", null, null));
            assertRefused(response, 401, "invalid_token", before, stored);
            assertThat(response.errorMessage()).isEqualTo(INVALID_TOKEN);
            assertThat(response.header("WWW-Authenticate")).startsWith("Bearer");
        }

        @Test
        void unknownWrongExpiredAndRevokedTokensGetTheSameAnswer() {
            TokenIssuer.Issued issued = stack.token(fleet, 1);
            EnrollmentToken stored = issued.token();

            assertInvalidToken(null, stored);
            assertInvalidToken("hob_" + fleet + ".abcdefghijkm." + "A".repeat(43), stored);
            BearerToken wrongSecret =
                    new BearerToken(fleet, stored.tokenId(), TokenSecret.generate(new SecureRandom()));
            assertInvalidToken(wrongSecret.reveal(), stored);

            TokenIssuer.Issued expired = new TokenIssuer(new SecureRandom())
                    .issue(
                            fleet,
                            1,
                            Duration.ofHours(1),
                            List.of(),
                            "expired",
                            Instant.now().minus(Duration.ofHours(2)));
            stack.store.putToken(expired.token());
            Secrets.remember(expired.bearer().reveal());
            assertInvalidToken(expired.bearer().reveal(), expired.token());

            stack.tokens.revoke(stored.tokenId());
            assertInvalidToken(issued.bearer().reveal(), stored);
        }

        @Test
        void aRightTokenFromOutsideItsNetworksIsAnsweredAsAnInvalidOne() {
            TokenIssuer.Issued issued = stack.token(fleet, 1, List.of("10.0.0.0/8"));

            assertInvalidToken(issued.bearer().reveal(), issued.token());
        }

        @Test
        void aTokenWithNoUsesLeftIsForbidden() {
            TokenIssuer.Issued issued = stack.token(fleet, 1);
            assertThat(api.enroll(issued.bearer().reveal(), Api.body("web-a", null, null))
                            .status())
                    .isEqualTo(201);
            Ledger before = ledger(issued.token());

            assertRefused(
                    api.enroll(issued.bearer().reveal(), Api.body("web-b", null, null)),
                    403,
                    "token_exhausted",
                    before,
                    issued.token());
        }
    }

    @Nested
    class Fleets {

        @Test
        void aTokenOfAFleetThatDoesNotExist() {
            TokenIssuer.Issued orphan = new TokenIssuer(new SecureRandom())
                    .issue("no-such-fleet", 1, Duration.ofHours(1), List.of(), "orphan", Instant.now());
            stack.store.putToken(orphan.token());
            Secrets.remember(orphan.bearer().reveal());
            Ledger before = ledger(orphan.token());

            assertRefused(
                    api.enroll(orphan.bearer().reveal(), Api.body("web", null, null)),
                    403,
                    "fleet_not_found",
                    before,
                    orphan.token());
        }

        @Test
        void aDisabledFleet() {
            TokenIssuer.Issued issued = stack.token(fleet, 1);
            stack.fleets.update(fleet, f -> f.withEnabled(false));
            Ledger before = ledger(issued.token());

            assertRefused(
                    api.enroll(issued.bearer().reveal(), Api.body("web", null, null)),
                    403,
                    "fleet_disabled",
                    before,
                    issued.token());

            stack.fleets.update(fleet, f -> f.withEnabled(true));
            assertThat(api.enroll(issued.bearer().reveal(), Api.body("web", null, null))
                            .status())
                    .isEqualTo(201);
        }
    }

    @Nested
    class SsmTrouble {

        @Test
        void throttlingIsA503WithRetryAfterAndTheUseIsNotSpent() {
            TokenIssuer.Issued issued = stack.token(fleet, 1);
            Ledger before = ledger(issued.token());
            stack.injectFault("ssm.CreateActivation", "ThrottlingException", 400, -1);

            ApiResponse response = api.enrollOnce(issued.bearer().reveal(), Api.body("web", "machine-throttled", null));

            assertRefused(response, 503, "service_unavailable", before, issued.token());
            assertThat(Integer.parseInt(response.header("Retry-After"))).isPositive();

            stack.clearFaults();
            ApiResponse later = api.enroll(issued.bearer().reveal(), Api.body("web", "machine-throttled", null));
            assertThat(later.status()).as(later.toString()).isEqualTo(201);
        }

        @Test
        void aCommitWhoseAnswerIsLostIsStillAnsweredAsTheCreationItWas() {
            TokenIssuer.Issued issued = stack.token(fleet, 2);
            String token = issued.bearer().reveal();
            Ledger before = ledger(issued.token());
            // The table applies the commit and the answer is lost; the SDK's retry is then refused by the commit
            // it repeats.
            stack.emulator(
                    "POST",
                    "faults",
                    Map.of(
                            "target",
                            "dynamodb.TransactWriteItems",
                            "error",
                            "InternalServerError",
                            "status",
                            500,
                            "count",
                            1,
                            "answerLost",
                            true));

            Api.Answers answers = api.enrollAsMachine(token, Api.body("web", "machine-lost-answer", null));
            ApiResponse first = answers.last();

            assertThat(answers.enrolledAsANewMachine())
                    .as("a first enrollment, not a replay: " + answers)
                    .isTrue();
            assertThat(ledger(issued.token()))
                    .isEqualTo(new Ledger(before.activations() + 1, 1, before.enrollments() + 1));
            assertThat(stack.ssm
                            .describeActivations(request -> request.filters(filter ->
                                    filter.filterKey("ActivationIds").filterValues(first.field("activationId"))))
                            .activationList())
                    .as("the activation the machine got still exists")
                    .hasSize(1);
            ApiResponse retry = api.enroll(token, Api.body("web", "machine-lost-answer", null));
            assertThat(retry.status()).isEqualTo(200);
            assertThat(retry.field("activationId")).isEqualTo(first.field("activationId"));
        }

        @Test
        void anOutageIsA503AndTheUseIsNotSpent() {
            TokenIssuer.Issued issued = stack.token(fleet, 1);
            Ledger before = ledger(issued.token());
            stack.injectFault("ssm.CreateActivation", "InternalServerError", 500, -1);

            assertRefused(
                    api.enrollOnce(issued.bearer().reveal(), Api.body("web", null, null)),
                    503,
                    "service_unavailable",
                    before,
                    issued.token());
        }

        @Test
        void aTableOutageAfterCreatingTheActivationLeavesNothingBehind() {
            TokenIssuer.Issued issued = stack.token(fleet, 1);
            Ledger before = ledger(issued.token());
            stack.injectFault("dynamodb.TransactWriteItems", "InternalServerError", 500, -1);

            assertRefused(
                    api.enrollOnce(issued.bearer().reveal(), Api.body("web", null, null)),
                    503,
                    "service_unavailable",
                    before,
                    issued.token());
        }
    }
}
