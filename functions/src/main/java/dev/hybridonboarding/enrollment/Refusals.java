package dev.hybridonboarding.enrollment;

import dev.hybridonboarding.log.StructuredLog;
import dev.hybridonboarding.support.DependencyUnavailableException;
import dev.hybridonboarding.token.EnrollmentToken;
import dev.hybridonboarding.token.TokenRejection;
import java.time.Duration;
import java.util.function.Supplier;

/** The refusals every part of an enrollment may answer with, each logged with its reason. */
final class Refusals {

    static final Duration RETRY_AFTER_UNAVAILABLE = Duration.ofSeconds(5);
    static final String INVALID_TOKEN_MESSAGE = "the enrollment token is invalid, expired or revoked";

    private final StructuredLog log;

    Refusals(StructuredLog log) {
        this.log = log;
    }

    /** One answer for every kind of bad token; the reason goes to the log only. */
    EnrollmentRejectedException invalidToken(TokenRejection reason, Object... context) {
        Object[] fields = new Object[context.length + 2];
        fields[0] = "reason";
        fields[1] = reason;
        System.arraycopy(context, 0, fields, 2, context.length);
        log.warn("enrollment.rejected", fields);
        return new EnrollmentRejectedException(EnrollmentFailure.INVALID_TOKEN, INVALID_TOKEN_MESSAGE);
    }

    EnrollmentRejectedException tokenExhausted(EnrollmentToken token) {
        log.warn(
                "enrollment.rejected",
                "reason",
                "token-exhausted",
                "tokenId",
                token.tokenId(),
                "maxUses",
                token.maxUses());
        return new EnrollmentRejectedException(
                EnrollmentFailure.TOKEN_EXHAUSTED, "the enrollment token has no uses left");
    }

    /** A commit refused because the token or the fleet changed since they were read. */
    EnrollmentRejectedException changedMeanwhile(CommitResult result, EnrollmentToken token) {
        return switch (result) {
            case TOKEN_INVALIDATED -> invalidToken(TokenRejection.INVALIDATED_MEANWHILE, "tokenId", token.tokenId());
            case FLEET_DISABLED -> fleetDisabled(token.fleet());
            default -> tokenExhausted(token);
        };
    }

    EnrollmentRejectedException fleetDisabled(String fleet) {
        log.warn("enrollment.rejected", "reason", "fleet-disabled", "fleet", fleet);
        return new EnrollmentRejectedException(EnrollmentFailure.FLEET_DISABLED, "fleet '" + fleet + "' is disabled");
    }

    EnrollmentRejectedException unavailable(RuntimeException cause) {
        log.warn("enrollment.unavailable", "cause", cause.getMessage());
        return tryAgainShortly("the service is busy; try again shortly");
    }

    static EnrollmentRejectedException tryAgainShortly(String message) {
        return new EnrollmentRejectedException(EnrollmentFailure.SERVICE_UNAVAILABLE, message, RETRY_AFTER_UNAVAILABLE);
    }

    /** Runs one call to the table, SSM or KMS; throttling and outages become "try again shortly". */
    <T> T unlessUnavailable(Supplier<T> call) {
        try {
            return call.get();
        } catch (DependencyUnavailableException unavailable) {
            throw unavailable(unavailable);
        }
    }
}
