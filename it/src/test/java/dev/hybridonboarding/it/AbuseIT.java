package dev.hybridonboarding.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hybridonboarding.fleet.FleetMode;
import dev.hybridonboarding.token.BearerToken;
import dev.hybridonboarding.token.TokenIssuer;
import dev.hybridonboarding.token.TokenSecret;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Repeated failures are slowed down per source and per token id, never a valid token: neither guessing at a
 * token id nor sharing an address with its holder can lock the holder out. The template's defaults apply: 20
 * failures per source and 5 wrong secrets per token id in a 5-minute window, and a limit of 100 requests per second
 * with bursts of 500 on each of the stage's methods.
 */
class AbuseIT {

    private static final int SOURCE_LIMIT = 20;
    private static final int TOKEN_LIMIT = 5;
    private static final int STAGE_RATE = 100;
    private static final int STAGE_BURST = 500;

    private final LocalStack stack = LocalStack.get();
    private final Api api = new Api(stack);
    private String fleet;

    @BeforeEach
    void fleet() {
        stack.clearFailureCounters();
        stack.refillApiThrottle();
        stack.awaitFailureWindowLasting(Duration.ofSeconds(45));
        fleet = LocalStack.uniqueFleet("abuse");
        stack.fleets.create(fleet, FleetMode.SINGLE_USE, f -> f);
    }

    @AfterAll
    static void cleanUp() {
        LocalStack.get().clearFailureCounters();
        Secrets.assertNoneLogged(LocalStack.get().functionLogFiles());
    }

    private static String guess(String fleet, String tokenId) {
        return new BearerToken(fleet, tokenId, TokenSecret.generate(new SecureRandom())).reveal();
    }

    @Test
    void failuresFromASourceOverItsLimitAreSlowedDownButAValidTokenFromItStillEnrolls() {
        for (int i = 0; i < SOURCE_LIMIT; i++) {
            ApiResponse failure = api.enrollFrom(
                    "127.0.0.2",
                    guess(fleet, "abcdefghijk" + "mnpqrstuvwxyz".charAt(i % 13)),
                    Api.body("web", null, null));
            assertThat(failure.status()).as(failure.toString()).isEqualTo(401);
        }
        TokenIssuer.Issued valid = stack.token(fleet, 2);

        ApiResponse slowedDown = api.enrollFrom("127.0.0.2", guess(fleet, "zzzzzzzzzzzz"), Api.body("web", null, null));
        ApiResponse sameSiteValid = api.enrollFrom("127.0.0.2", valid.bearer().reveal(), Api.body("web-1", null, null));
        ApiResponse elsewhere = api.enrollFrom("127.0.0.3", guess(fleet, "zzzzzzzzzzzz"), Api.body("web", null, null));

        assertThat(slowedDown.status()).as(slowedDown.toString()).isEqualTo(429);
        assertThat(slowedDown.errorCode()).isEqualTo("too_many_failures");
        assertThat(Integer.parseInt(slowedDown.header("Retry-After"))).isBetween(1, 300);
        assertThat(sameSiteValid.status())
                .as("a machine behind the same NAT: " + sameSiteValid)
                .isEqualTo(201);
        assertThat(elsewhere.status()).as(elsewhere.toString()).isEqualTo(401);
        assertThat(stack.store.token(valid.token().tokenId()).orElseThrow().uses())
                .isEqualTo(1);
    }

    @Test
    void guessingATokensSecretCannotLockItsHolderOut() {
        TokenIssuer.Issued valid = stack.token(fleet, 1);
        String tokenId = valid.token().tokenId();
        List<ApiResponse> guesses = new ArrayList<>();
        for (int i = 0; i < TOKEN_LIMIT + 2; i++) {
            guesses.add(api.enrollFrom("127.0.1." + (10 + i), guess(fleet, tokenId), Api.body("web", null, null)));
        }

        assertThat(guesses.subList(0, TOKEN_LIMIT))
                .allSatisfy(r -> assertThat(r.status()).as(r.toString()).isEqualTo(401));
        assertThat(guesses.subList(TOKEN_LIMIT, guesses.size())).allSatisfy(r -> {
            assertThat(r.status()).as(r.toString()).isEqualTo(429);
            assertThat(r.header("Retry-After")).isNotNull();
        });

        ApiResponse holder = api.enrollFrom("127.0.2.1", valid.bearer().reveal(), Api.body("web", null, null));
        assertThat(holder.status()).as(holder.toString()).isEqualTo(201);
    }

    @Test
    void theApiStageLetsThroughNoMoreThanItsBurstAndItsRate() throws Exception {
        int requests = STAGE_BURST + 300;
        ExecutorService pool = Executors.newFixedThreadPool(40);
        try {
            long started = System.nanoTime();
            List<Future<ApiResponse>> futures = new ArrayList<>();
            for (int i = 0; i < requests; i++) {
                futures.add(pool.submit(() -> api.post("/v1/activations", null, "text/plain", "x")));
            }
            List<ApiResponse> responses = new ArrayList<>();
            for (Future<ApiResponse> future : futures) {
                responses.add(future.get());
            }
            double seconds = (System.nanoTime() - started) / 1e9;

            List<ApiResponse> throttled =
                    responses.stream().filter(r -> r.status() == 429).toList();
            assertThat(throttled).allSatisfy(r -> {
                assertThat(r.errorCode()).isEqualTo("too_many_requests");
                assertThat(r.header("Retry-After")).isEqualTo("1");
            });
            // Past the throttle, the function's 415; on a loaded machine also an answer a client retries (an invocation
            // that waited too long for an environment), which counts as let through.
            assertThat(responses)
                    .allSatisfy(r -> assertThat(r.status() == 415 || r.status() == 429 || Api.isBusy(r))
                            .as(r.toString())
                            .isTrue());
            // A token bucket: however fast or slow this machine sends, no more than the burst plus what the rate
            // refilled meanwhile gets through; sent faster than that, the rest is throttled.
            int allowance = (int) Math.floor(STAGE_BURST + STAGE_RATE * seconds);
            assertThat(requests - throttled.size())
                    .as("let through in %.2f s", seconds)
                    .isLessThanOrEqualTo(allowance);
        } finally {
            pool.shutdownNow();
            stack.refillApiThrottle();
        }
    }
}
