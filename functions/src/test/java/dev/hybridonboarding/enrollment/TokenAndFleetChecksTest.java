package dev.hybridonboarding.enrollment;

import static dev.hybridonboarding.enrollment.EnrollmentWorld.NOW;
import static dev.hybridonboarding.enrollment.EnrollmentWorld.SOURCE_IP;
import static dev.hybridonboarding.enrollment.EnrollmentWorld.request;
import static org.assertj.core.api.Assertions.assertThat;

import dev.hybridonboarding.fleet.Fleet;
import dev.hybridonboarding.fleet.FleetMode;
import dev.hybridonboarding.testing.InMemoryTable;
import dev.hybridonboarding.token.BearerToken;
import dev.hybridonboarding.token.TokenIssuer;
import dev.hybridonboarding.token.TokenSecret;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Who may enroll: tokens, their networks and uses, the fleets they name, and the slowing down of repeated failures. */
class TokenAndFleetChecksTest {

    private static final SecureRandom RANDOM = new SecureRandom();

    private final EnrollmentWorld world = new EnrollmentWorld();

    @AfterEach
    void nothingSecretWasLogged() {
        world.assertNothingSecretWasLogged();
    }

    private String guess(String fleet, String tokenId) {
        String bearer = new BearerToken(fleet, tokenId, TokenSecret.generate(RANDOM)).reveal();
        world.remember(bearer);
        return bearer;
    }

    private void assertInvalid(EnrollmentRejectedException refused) {
        assertThat(refused.failure()).isEqualTo(EnrollmentFailure.INVALID_TOKEN);
        assertThat(refused.getMessage()).isEqualTo(Refusals.INVALID_TOKEN_MESSAGE);
    }

    @Test
    void aMalformedTokenIsRefusedWithoutReadingAnything() {
        assertInvalid(world.refusal("not-a-token", request(null, Map.of()), SOURCE_IP));

        assertThat(world.table.faults().calls(InMemoryTable.Operation.LOAD)).isZero();
        assertThat(world.table.faults().calls(InMemoryTable.Operation.RECORD_FAILURE))
                .isZero();
    }

    @Test
    void unknownWrongExpiredAndRevokedTokensGetOneAnswerAndCountAsFailures() {
        TokenIssuer.Issued issued = world.token("default", 1);
        TokenIssuer.Issued expired = new TokenIssuer(RANDOM)
                .issue("default", 1, Duration.ofMinutes(1), List.of(), "old", NOW.minusSeconds(120));
        world.table.putToken(expired.token());
        world.remember(expired.bearer().reveal());
        TokenIssuer.Issued revoked = world.token("default", 1);
        world.table.revokeToken(revoked.token().tokenId(), NOW);

        assertInvalid(world.refusal(guess("default", "abcdefghijkm"), request(null, Map.of()), SOURCE_IP));
        assertInvalid(world.refusal(guess("default", issued.token().tokenId()), request(null, Map.of()), SOURCE_IP));
        assertInvalid(world.refusal(expired, request(null, Map.of())));
        assertInvalid(world.refusal(revoked, request(null, Map.of())));

        assertThat(world.table.faults().calls(InMemoryTable.Operation.RECORD_FAILURE))
                .isEqualTo(4);
        assertThat(world.log()).contains("unknown-token", "wrong-secret", "expired", "revoked");
        assertThat(world.ssm.created()).isZero();
    }

    @Test
    void aTokenOfOneFleetPresentedForAnotherIsInvalid() {
        TokenIssuer.Issued issued = world.token("default", 1);
        world.withStoredFleet(EnrollmentWorld.sharedFleet());
        BearerToken elsewhere = new BearerToken(
                "edge", issued.token().tokenId(), issued.bearer().secret());

        assertInvalid(world.refusal(elsewhere.reveal(), request(null, Map.of()), SOURCE_IP));
        assertThat(world.log()).contains("fleet-mismatch");
    }

    @Test
    void aRightTokenFromOutsideItsNetworksIsAnsweredAndCountedAsAnInvalidOne() {
        TokenIssuer.Issued issued = world.token("default", 2, List.of("10.0.0.0/8"));

        assertInvalid(world.refusal(issued.bearer().reveal(), request(null, Map.of()), SOURCE_IP));

        assertThat(world.table.faults().calls(InMemoryTable.Operation.RECORD_FAILURE))
                .isEqualTo(1);
        assertThat(world.log()).contains("source-not-allowed");
        assertThat(world.service()
                        .enroll(world.attempt(issued.bearer().reveal(), request(null, Map.of()), "10.1.2.3"))
                        .created())
                .isTrue();
    }

    @Test
    void aStolenTokenTriedFromOutsideItsNetworksIsSlowedDownLikeGuesses() {
        TokenIssuer.Issued issued = world.token("default", 2, List.of("10.0.0.0/8"));
        for (int i = 0; i < FailurePolicy.DEFAULT.tokenLimit(); i++) {
            assertInvalid(world.refusal(issued.bearer().reveal(), request(null, Map.of()), "198.51.100." + i));
        }

        assertThat(world.refusal(issued.bearer().reveal(), request(null, Map.of()), "198.51.100.99")
                        .failure())
                .isEqualTo(EnrollmentFailure.TOO_MANY_FAILURES);
    }

    @Test
    void aTokenWithNoUsesLeftIsExhausted() {
        TokenIssuer.Issued issued = world.token("default", 1);
        world.enroll(issued, request(null, Map.of()));

        assertThat(world.refusal(issued, request(null, Map.of())).failure())
                .isEqualTo(EnrollmentFailure.TOKEN_EXHAUSTED);
        assertThat(world.ssm.created()).isEqualTo(1);
    }

    @Test
    void failuresFromASourceOverItsLimitAreToldToSlowDownWithoutAnotherWrite() {
        for (int i = 0; i < FailurePolicy.DEFAULT.sourceLimit(); i++) {
            world.refusal(
                    guess("default", "abcdefghij" + "mnpqrstuvwxyz".charAt(i % 13) + "k"),
                    request(null, Map.of()),
                    SOURCE_IP);
        }
        int writes = world.table.faults().calls(InMemoryTable.Operation.RECORD_FAILURE);

        EnrollmentRejectedException slowed =
                world.refusal(guess("default", "zzzzzzzzzzzz"), request(null, Map.of()), SOURCE_IP);

        assertThat(slowed.failure()).isEqualTo(EnrollmentFailure.TOO_MANY_FAILURES);
        assertThat(slowed.retryAfter())
                .hasValueSatisfying(after -> assertThat(after).isPositive().isLessThanOrEqualTo(Duration.ofMinutes(5)));
        assertThat(world.table.faults().calls(InMemoryTable.Operation.RECORD_FAILURE))
                .isEqualTo(writes);
        assertThat(world.refusal(guess("default", "zzzzzzzzzzzz"), request(null, Map.of()), "203.0.113.99")
                        .failure())
                .as("another source")
                .isEqualTo(EnrollmentFailure.INVALID_TOKEN);
    }

    @Test
    void aValidTokenFromASourceOverItsLimitStillEnrolls() {
        for (int i = 0; i < FailurePolicy.DEFAULT.sourceLimit(); i++) {
            world.refusal(guess("default", "abcdefghijkm"), request(null, Map.of()), SOURCE_IP);
        }
        TokenIssuer.Issued valid = world.token("default", 1);

        assertThat(world.enroll(valid, request(null, Map.of())).created()).isTrue();
    }

    @Test
    void wrongSecretsOnOneTokenIdAreSlowedDownButItsHolderIsNotLockedOut() {
        TokenIssuer.Issued issued = world.token("default", 1);
        for (int i = 0; i < FailurePolicy.DEFAULT.tokenLimit(); i++) {
            assertInvalid(world.refusal(
                    guess("default", issued.token().tokenId()), request(null, Map.of()), "198.51.100." + i));
        }

        assertThat(world.refusal(guess("default", issued.token().tokenId()), request(null, Map.of()), "198.51.100.99")
                        .failure())
                .isEqualTo(EnrollmentFailure.TOO_MANY_FAILURES);
        assertThat(world.service()
                        .enroll(world.attempt(issued.bearer().reveal(), request(null, Map.of()), "198.51.100.100"))
                        .created())
                .isTrue();
    }

    @Test
    void ipv6FailuresAreCountedPerSlash64AndMappedIpv4PerAddress() {
        assertThat(FailurePolicy.failureSource("2001:db8:1:2:3:4:5:6"))
                .isEqualTo(FailurePolicy.failureSource("2001:db8:1:2:ffff::1"));
        assertThat(FailurePolicy.failureSource("2001:db8:1:3::1"))
                .isNotEqualTo(FailurePolicy.failureSource("2001:db8:1:2::1"));
        assertThat(FailurePolicy.failureSource("::ffff:198.51.100.7")).isEqualTo("198.51.100.7");
    }

    @Test
    void aTokenForAFleetThatNoLongerExistsIsForbidden() {
        TokenIssuer.Issued orphan = world.token("gone", 1);

        assertThat(world.refusal(orphan, request(null, Map.of())).failure())
                .isEqualTo(EnrollmentFailure.FLEET_NOT_FOUND);
    }

    @Test
    void aDisabledFleetEnrollsNobody() {
        world.withStoredFleet(EnrollmentWorld.singleUseFleet().withEnabled(false));
        TokenIssuer.Issued issued = world.token("default", 1);

        assertThat(world.refusal(issued, request(null, Map.of())).failure())
                .isEqualTo(EnrollmentFailure.FLEET_DISABLED);
        assertThat(world.stored(issued).uses()).isZero();
    }

    @Test
    void aFleetDisabledWhileAnEnrollmentIsUnderwayEnrollsNobodyAndLeavesNothing() {
        world.withStoredFleet(EnrollmentWorld.singleUseFleet());
        TokenIssuer.Issued issued = world.token("default", 1);
        world.table.faults().beforeNext(InMemoryTable.Operation.COMMIT, () -> {
            Fleet stored = world.table.storedFleet("default").orElseThrow();
            world.table.putFleet(stored.withEnabled(false).withVersion(2), 1, NOW);
        });

        assertThat(world.refusal(issued, request(null, Map.of())).failure())
                .isEqualTo(EnrollmentFailure.FLEET_DISABLED);
        assertThat(world.stored(issued).uses()).isZero();
        assertThat(world.ssm.live()).isEmpty();
    }

    @Test
    void aStoredFleetOverridesTheTemplatesDefault() {
        world.withStoredFleet(Fleet.withDefaults("default", FleetMode.SINGLE_USE, "hybrid-onboarding/stack/web")
                .withTags(Map.of("env", "prod")));
        TokenIssuer.Issued issued = world.token("default", 1);

        EnrollmentResult result = world.enroll(issued, request(null, Map.of()));

        assertThat(world.ssm
                        .activation(result.activationId())
                        .orElseThrow()
                        .spec()
                        .instanceRole())
                .isEqualTo("hybrid-onboarding/stack/web");
        assertThat(world.ssm
                        .activation(result.activationId())
                        .orElseThrow()
                        .spec()
                        .tags())
                .containsEntry("env", "prod")
                .doesNotContainKey("team");
    }

    @Test
    void requestTagsTheFleetDoesNotAcceptAreForbidden() {
        world.withTemplateFleet(EnrollmentWorld.singleUseFleet().withAcceptedTagKeys(Set.of("rack")));
        TokenIssuer.Issued issued = world.token("default", 1);

        EnrollmentRejectedException refused = world.refusal(issued, request(null, Map.of("owner", "me")));

        assertThat(refused.failure()).isEqualTo(EnrollmentFailure.TAG_NOT_ACCEPTED);
        assertThat(refused.getMessage()).contains("owner", "[rack]");
        assertThat(world.stored(issued).uses()).isZero();
    }
}
