package dev.hybridonboarding.token;

import java.time.Instant;
import java.util.List;

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

    /** Why the presented token does not authenticate, or null when it does. Only ever logged. */
    public String rejection(BearerToken presented, Instant now) {
        if (!presented.secret().matches(secretHash)) {
            return "wrong-secret";
        }
        if (!fleet.equals(presented.fleet())) {
            return "fleet-mismatch";
        }
        if (revoked) {
            return "revoked";
        }
        if (isExpired(now)) {
            return "expired";
        }
        return null;
    }
}
