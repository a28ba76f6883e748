package dev.hybridonboarding.enrollment;

import dev.hybridonboarding.log.StructuredLog;
import dev.hybridonboarding.support.DependencyUnavailableException;
import dev.hybridonboarding.token.BearerToken;
import dev.hybridonboarding.token.EnrollmentToken;
import dev.hybridonboarding.token.TokenRejection;
import java.time.Instant;
import java.util.Optional;

/**
 * Decides whether a presented token may enroll, and counts the attempts that fail. A valid token always passes.
 * Failures are counted per source and per token id, and past either limit a failing request is told to slow down
 * (429) without another write: neither someone guessing at a token id nor a broken machine behind the same NAT can
 * lock the token's holder out.
 */
final class TokenAuthenticator {

    private final EnrollmentStore store;
    private final FailurePolicy policy;
    private final Refusals refusals;
    private final StructuredLog log;

    TokenAuthenticator(EnrollmentStore store, FailurePolicy policy, Refusals refusals, StructuredLog log) {
        this.store = store;
        this.policy = policy;
        this.refusals = refusals;
        this.log = log;
    }

    /** A token that is not even of the right form; nothing is read for it. */
    EnrollmentRejectedException malformed(Requester requester) {
        return refusals.invalidToken(TokenRejection.MALFORMED, "sourceIp", requester.sourceIp());
    }

    /** @return the stored token when the presented one authenticates and may be used from the requester's address */
    EnrollmentToken authenticate(BearerToken bearer, EnrollmentSnapshot snapshot, Requester requester, Instant now) {
        Optional<EnrollmentToken> stored = snapshot.token();
        Optional<TokenRejection> rejection = stored.isEmpty()
                ? Optional.of(TokenRejection.UNKNOWN)
                : stored.get().rejection(bearer, now);
        // A right secret from outside the token's networks is answered like a wrong one: telling it apart would
        // confirm to whoever stole the token that it is live.
        if (rejection.isEmpty() && !stored.get().allowsSource(requester.sourceIp())) {
            rejection = Optional.of(TokenRejection.SOURCE_NOT_ALLOWED);
        }
        if (rejection.isPresent()) {
            throw failed(bearer, snapshot, requester, rejection.get(), now);
        }
        return stored.get();
    }

    private EnrollmentRejectedException failed(
            BearerToken bearer,
            EnrollmentSnapshot snapshot,
            Requester requester,
            TokenRejection rejection,
            Instant now) {
        boolean sourceOverLimit = snapshot.sourceFailures() >= policy.sourceLimit();
        boolean tokenOverLimit =
                (rejection == TokenRejection.WRONG_SECRET || rejection == TokenRejection.SOURCE_NOT_ALLOWED)
                        && snapshot.tokenFailures() >= policy.tokenLimit();
        if (sourceOverLimit || tokenOverLimit) {
            log.warn(
                    "enrollment.slowed-down",
                    "scope",
                    sourceOverLimit ? "source" : "token",
                    "reason",
                    rejection,
                    "tokenId",
                    bearer.tokenId(),
                    "sourceIp",
                    requester.sourceIp());
            return new EnrollmentRejectedException(
                    EnrollmentFailure.TOO_MANY_FAILURES,
                    "too many failed enrollment attempts; try again later",
                    policy.retryAfter(now));
        }
        try {
            store.recordFailure(
                    FailurePolicy.failureSource(requester.sourceIp()),
                    snapshot.token().isPresent() ? Optional.of(bearer.tokenId()) : Optional.empty(),
                    policy.windowStart(now),
                    policy.windowEnd(now));
        } catch (DependencyUnavailableException notCounted) {
            log.warn(
                    "enrollment.failure-not-counted",
                    "sourceIp",
                    requester.sourceIp(),
                    "cause",
                    notCounted.getMessage());
        }
        return refusals.invalidToken(
                rejection, "tokenId", bearer.tokenId(), "fleet", bearer.fleet(), "sourceIp", requester.sourceIp());
    }
}
