package dev.hybridonboarding.enrollment;

import dev.hybridonboarding.activation.ActivationCode;
import dev.hybridonboarding.activation.ActivationStatus;
import dev.hybridonboarding.activation.Activations;
import dev.hybridonboarding.activation.Handout;
import dev.hybridonboarding.activation.SharedCodeVault;
import dev.hybridonboarding.fleet.Fleet;
import dev.hybridonboarding.log.StructuredLog;
import dev.hybridonboarding.token.BearerToken;
import java.time.Instant;
import java.util.Optional;

/**
 * A retry by a machine that enrolled before gets the activation it got then, as long as it can still register with
 * it (not near expiry, not used up, still in SSM), and sends the same request as then. A machine reset with {@code -register -clear} keeps its machine id
 * and comes back after its single-use activation was spent; it gets a new one.
 */
final class Replays {

    private final Activations activations;
    private final SharedCodeVault vault;
    private final TokenBoundSeal seal;
    private final Refusals refusals;
    private final String region;
    private final StructuredLog log;

    Replays(
            Activations activations,
            SharedCodeVault vault,
            TokenBoundSeal seal,
            Refusals refusals,
            String region,
            StructuredLog log) {
        this.activations = activations;
        this.vault = vault;
        this.seal = seal;
        this.refusals = refusals;
        this.region = region;
        this.log = log;
    }

    Optional<EnrollmentResult> replay(
            RetryRecord retry, EnrollmentRequest request, BearerToken bearer, Fleet fleet, Instant now) {
        if (!now.plus(Handout.MARGIN).isBefore(retry.expiresAt())) {
            return Optional.empty();
        }
        // Someone who knows another machine's id but sends their own hostname or tags does not get its activation.
        if (!retry.requestDigest().equals(request.digest())) {
            log.warn(
                    "enrollment.retry-request-differs",
                    "enrollmentId",
                    retry.enrollmentId(),
                    "tokenId",
                    bearer.tokenId(),
                    "hostname",
                    request.hostname());
            return Optional.empty();
        }
        ActivationCode code;
        try {
            code = retry.sealing() == RetryRecord.CodeSealing.TOKEN
                    ? seal.open(
                            retry.sealedCode(),
                            bearer.secret(),
                            RetryRecord.sealBinding(
                                    bearer.tokenId(), retry.machineId(), retry.activationId(), retry.requestDigest()))
                    : refusals.unlessUnavailable(
                            () -> vault.open(retry.sealedCode(), fleet.name(), retry.activationId()));
        } catch (TokenBoundSeal.SealBrokenException broken) {
            log.error(
                    "enrollment.retry-record-unreadable",
                    "enrollmentId",
                    retry.enrollmentId(),
                    "tokenId",
                    bearer.tokenId());
            return Optional.empty();
        }
        Optional<ActivationStatus> status = refusals.unlessUnavailable(() -> activations.status(retry.activationId()));
        if (status.isEmpty() || !status.get().canRegister()) {
            log.info(
                    "enrollment.retry-record-spent",
                    "enrollmentId",
                    retry.enrollmentId(),
                    "activationId",
                    retry.activationId());
            return Optional.empty();
        }
        log.info(
                "enrollment.replayed",
                "enrollmentId",
                retry.enrollmentId(),
                "tokenId",
                bearer.tokenId(),
                "activationId",
                retry.activationId());
        return Optional.of(new EnrollmentResult(
                false,
                retry.activationId(),
                code,
                region,
                retry.expiresAt(),
                fleet.name(),
                retry.instanceName(),
                retry.enrollmentId()));
    }
}
