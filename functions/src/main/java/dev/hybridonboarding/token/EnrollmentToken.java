package dev.hybridonboarding.token;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * An enrollment token as stored: its policy and how often it was used, never its secret.
 */
public record EnrollmentToken(
        String tokenId,
        String fleet,
        byte[] secretHash,
        int maxUses,
        int uses,
        Instant expiresAt,
        List<String> sourceCidrs,
        String description,
        boolean revoked,
        Instant createdAt) {

    public EnrollmentToken {
        sourceCidrs = List.copyOf(sourceCidrs);
        secretHash = secretHash.clone();
    }

    public int usesLeft() {
        return Math.max(0, maxUses - uses);
    }

    public boolean isExpired(Instant now) {
        return !now.isBefore(expiresAt);
    }

    public boolean allowsSource(String sourceIp) {
        return SourceCidrs.allows(sourceCidrs, sourceIp);
    }

    @Override
    public byte[] secretHash() {
        return secretHash.clone();
    }

    /** Why the presented token does not authenticate, or empty when it does. */
    public Optional<TokenRejection> rejection(BearerToken presented, Instant now) {
        if (!presented.secret().matches(secretHash)) {
            return Optional.of(TokenRejection.WRONG_SECRET);
        }
        if (!fleet.equals(presented.fleet())) {
            return Optional.of(TokenRejection.FLEET_MISMATCH);
        }
        if (revoked) {
            return Optional.of(TokenRejection.REVOKED);
        }
        if (isExpired(now)) {
            return Optional.of(TokenRejection.EXPIRED);
        }
        return Optional.empty();
    }
}
