package dev.hybridonboarding.token;

import dev.hybridonboarding.fleet.FleetName;
import dev.hybridonboarding.support.RandomIds;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/** Creates enrollment tokens: a random public id and a 256-bit secret of which only the hash is kept. */
public final class TokenIssuer {

    public static final Duration DEFAULT_LIFETIME = Duration.ofHours(24);
    public static final Duration MAX_LIFETIME = Duration.ofDays(365);
    public static final int MAX_USES = 100_000;

    private final SecureRandom random;

    public TokenIssuer(SecureRandom random) {
        this.random = random;
    }

    /** A new token and the one string that lets a machine use it. */
    public record Issued(EnrollmentToken token, BearerToken bearer) {}

    public Issued issue(
            String fleet, int maxUses, Duration lifetime, List<String> sourceCidrs, String description, Instant now) {
        FleetName.require(fleet);
        if (maxUses < 1 || maxUses > MAX_USES) {
            throw new IllegalArgumentException("maximum uses must be 1-" + MAX_USES + ", got " + maxUses);
        }
        if (lifetime.isNegative() || lifetime.isZero() || lifetime.compareTo(MAX_LIFETIME) > 0) {
            throw new IllegalArgumentException(
                    "token lifetime must be positive and at most " + MAX_LIFETIME.toDays() + " days");
        }
        if (description != null && description.length() > 256) {
            throw new IllegalArgumentException("description must be at most 256 characters");
        }
        TokenSecret secret = TokenSecret.generate(random);
        BearerToken bearer = new BearerToken(fleet, RandomIds.base32(random, 12), secret);
        EnrollmentToken token = new EnrollmentToken(
                bearer.tokenId(),
                fleet,
                secret.hash(),
                maxUses,
                0,
                now.plus(lifetime),
                SourceCidrs.normalise(sourceCidrs),
                description,
                false,
                now);
        return new Issued(token, bearer);
    }
}
