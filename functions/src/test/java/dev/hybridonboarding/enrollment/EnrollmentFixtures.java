package dev.hybridonboarding.enrollment;

import dev.hybridonboarding.activation.ActivationCode;
import dev.hybridonboarding.activation.IssuedActivation;
import dev.hybridonboarding.fleet.Fleet;
import dev.hybridonboarding.fleet.FleetMode;
import dev.hybridonboarding.token.EnrollmentToken;
import dev.hybridonboarding.token.TokenIssuer;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** Tokens, fleets and snapshots for the enrollment tests. */
final class EnrollmentFixtures {

    static final Instant NOW = Instant.parse("2026-11-30T12:00:00Z");
    static final String ROLE = "HybridOnboardingInstanceRole";
    static final SecureRandom RANDOM = new SecureRandom();

    private EnrollmentFixtures() {
    }

    static Fleet singleUseFleet() {
        return Fleet.withDefaults("default", FleetMode.SINGLE_USE, ROLE)
                .withTags(Map.of("team", "platform"))
                .withAcceptedTagKeys(Set.of("rack", "env"));
    }

    static Fleet sharedFleet() {
        return Fleet.withDefaults("edge", FleetMode.SHARED, ROLE).withRegistrationLimit(3).withVersion(1);
    }

    static TokenIssuer.Issued token(String fleet, int maxUses) {
        return new TokenIssuer(RANDOM).issue(fleet, maxUses, Duration.ofHours(24), List.of(), "test", NOW.minusSeconds(60));
    }

    static EnrollmentToken withUses(EnrollmentToken token, int uses) {
        return new EnrollmentToken(token.tokenId(), token.fleet(), token.secretHash(), token.maxUses(), uses, token.expiresAt(),
                token.sourceCidrs(), token.description(), token.revoked(), token.createdAt());
    }

    static EnrollmentToken revoked(EnrollmentToken token) {
        return new EnrollmentToken(token.tokenId(), token.fleet(), token.secretHash(), token.maxUses(), token.uses(), token.expiresAt(),
                token.sourceCidrs(), token.description(), true, token.createdAt());
    }

    static EnrollmentToken withCidrs(EnrollmentToken token, List<String> cidrs) {
        return new EnrollmentToken(token.tokenId(), token.fleet(), token.secretHash(), token.maxUses(), token.uses(), token.expiresAt(),
                cidrs, token.description(), token.revoked(), token.createdAt());
    }

    static EnrollmentToken expired(EnrollmentToken token) {
        return new EnrollmentToken(token.tokenId(), token.fleet(), token.secretHash(), token.maxUses(), token.uses(), NOW.minusSeconds(1),
                token.sourceCidrs(), token.description(), token.revoked(), token.createdAt());
    }

    static EnrollmentSnapshot snapshot(EnrollmentToken token) {
        return new EnrollmentSnapshot(Optional.of(token), Optional.empty(), Optional.empty(), Optional.empty(), 0, 0);
    }

    static EnrollmentRequest request(String machineId, Map<String, String> tags) {
        return new EnrollmentRequest("web-01", Platform.LINUX, Optional.ofNullable(machineId), tags);
    }

    static IssuedActivation activation(String id, Instant expiresAt) {
        return new IssuedActivation(id, new ActivationCode("Code" + id.substring(0, 8) + "abcdefgh"), expiresAt);
    }
}
