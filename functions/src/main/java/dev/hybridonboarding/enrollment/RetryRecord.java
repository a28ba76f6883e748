package dev.hybridonboarding.enrollment;

import java.time.Instant;

/**
 * What a token handed to one machine, kept so that a retry by the same machine gets the same activation.
 *
 * @param sealedCode    the code, sealed under the token's secret (single-use) or by the vault (shared)
 * @param requestDigest {@link EnrollmentRequest#digest()} of the request that got it: only the same request again is
 *                      a retry
 */
public record RetryRecord(
        String machineId,
        String enrollmentId,
        String activationId,
        byte[] sealedCode,
        CodeSealing sealing,
        Instant expiresAt,
        String instanceName,
        String requestDigest) {

    public enum CodeSealing {
        TOKEN,
        VAULT
    }

    public RetryRecord {
        sealedCode = sealedCode.clone();
    }

    @Override
    public byte[] sealedCode() {
        return sealedCode.clone();
    }

    /** The binding that ties a token-sealed code to this token, machine, activation and request. */
    public static String sealBinding(String tokenId, String machineId, String activationId, String requestDigest) {
        return tokenId + "|" + machineId + "|" + activationId + "|" + requestDigest;
    }
}
