package dev.hybridonboarding.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hybridonboarding.fleet.FleetMode;
import dev.hybridonboarding.token.TokenIssuer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Per-source limits at the edge: the WAF web ACL in front of the API stage. One address floods the API with junk
 * far past its per-source limit while a machine enrolls from another address, retrying as a machine does; the
 * machine enrolls, never throttled, and the flooder is blocked by the per-source rule, not by the stage's throttle.
 * Without the web ACL the flooder is never blocked, and a fast enough flood keeps every machine on the stage's 429
 * (the stage's limits are shared by all sources).
 *
 * <p>The local stack's 127.0.0.1 is exempt from the per-source limit (bin/test deploys it so, as an operator would
 * exempt a data centre's NAT address): these tests send from other loopback addresses.
 */
class SourceFloodIT {

    private static final String FLOODER = "127.0.4.1";
    private static final String MACHINE = "127.0.4.2";
    private static final String LISTED = "127.0.4.66";
    private static final int FLOOD_THREADS = 8;
    /** Longer than the local web ACL takes to notice a source over its limit (it checks every 10 seconds). */
    private static final Duration LONGEST_FLOOD = Duration.ofSeconds(90);

    private final LocalStack stack = LocalStack.get();
    private final Api api = new Api(stack);
    private String fleet;

    @BeforeEach
    void knownState() {
        stack.resetWaf();
        stack.refillApiThrottle();
        stack.listOnIpReputation(List.of());
        fleet = LocalStack.uniqueFleet("flood");
        stack.fleets.create(fleet, FleetMode.SINGLE_USE, f -> f);
    }

    @AfterEach
    void forgetTheFlood() {
        stack.resetWaf();
        stack.listOnIpReputation(List.of());
    }

    @AfterAll
    static void noSecretReachedALog() {
        Secrets.assertNoneLogged(LocalStack.get().functionLogFiles());
    }

    /** The web ACL's per-source rule refused this request (the stage's throttle answers too_many_requests). */
    private static boolean blockedPerSource(ApiResponse answer) {
        return answer.status() == 429 && "source_rate_limited".equals(answer.errorCode());
    }

    /** What one flooding thread got, in the order it sent its requests. */
    private record Flooded(List<ApiResponse> answers) {

        /** Answers after this thread's first block that did not come from the web ACL. */
        List<ApiResponse> throughAfterTheFirstBlock() {
            int first = 0;
            while (first < answers.size() && !blockedPerSource(answers.get(first))) {
                first++;
            }
            return answers.subList(first, answers.size()).stream()
                    .filter(answer -> !blockedPerSource(answer))
                    .toList();
        }
    }

    @Test
    void aSourceFloodingTheApiIsBlockedAndAMachineElsewhereStillEnrolls() throws Exception {
        int limit = Integer.parseInt(stack.parameter("WafRequestsPerSource"));
        int floodAtLeast = 3 * limit;
        TokenIssuer.Issued token = stack.token(fleet, 1);
        AtomicInteger sent = new AtomicInteger();
        AtomicBoolean blockSeen = new AtomicBoolean();
        AtomicBoolean machineDone = new AtomicBoolean();
        Instant giveUp = Instant.now().plus(LONGEST_FLOOD);
        ExecutorService pool = Executors.newFixedThreadPool(FLOOD_THREADS);
        List<Flooded> flood = new ArrayList<>();
        try {
            List<Future<Flooded>> flooders = new ArrayList<>();
            for (int i = 0; i < FLOOD_THREADS; i++) {
                flooders.add(pool.submit(() -> {
                    List<ApiResponse> answers = new ArrayList<>();
                    // Junk without a token, as the review's attacker sends it, until the machine is done, the flood is
                    // well past the limit and the web ACL has answered it (or the flood has gone on far too long).
                    while (!(machineDone.get() && sent.get() >= floodAtLeast && blockSeen.get())
                            && Instant.now().isBefore(giveUp)) {
                        sent.incrementAndGet();
                        ApiResponse answer = api.postOnceFrom(FLOODER, null, "text/plain", "junk");
                        answers.add(answer);
                        if (blockedPerSource(answer)) {
                            blockSeen.set(true);
                        }
                    }
                    return new Flooded(answers);
                }));
            }
            while (sent.get() < limit / 2) {
                Thread.sleep(20);
            }

            Api.Answers machine = api.enrollAsMachineFrom(
                    MACHINE, token.bearer().reveal(), Api.body("flood-survivor", "machine-flood", null));
            machineDone.set(true);
            for (Future<Flooded> flooder : flooders) {
                flood.add(flooder.get());
            }

            assertThat(machine.last().status())
                    .as(
                            "the machine's last answer, after %d attempts: %s",
                            machine.all().size(), machine.last())
                    .isEqualTo(201);
            assertThat(machine.all())
                    .as("the machine's answers: the flood did not use up the stage's limits")
                    .noneSatisfy(answer -> assertThat(answer.status()).isEqualTo(429));
            assertThat(stack.store.token(token.token().tokenId()).orElseThrow().uses())
                    .isEqualTo(1);
        } finally {
            machineDone.set(true);
            pool.shutdownNow();
        }

        List<ApiResponse> all =
                flood.stream().flatMap(f -> f.answers().stream()).toList();
        assertThat(all.size()).as("requests the flooder sent").isGreaterThanOrEqualTo(floodAtLeast);
        assertThat(all)
                .as("the flooder's answers")
                .filteredOn(SourceFloodIT::blockedPerSource)
                .isNotEmpty()
                .allSatisfy(blocked -> assertThat(Integer.parseInt(blocked.header("Retry-After")))
                        .isPositive());
        assertThat(all)
                .as("the flooder's answers: the function's 415 until the web ACL's 429; never the stage's throttle")
                .allSatisfy(answer -> assertThat(answer.status() == 415 || blockedPerSource(answer))
                        .as(answer.toString())
                        .isTrue());
        assertThat(flood)
                .as("once blocked, a flooding connection gets nothing more through")
                .allSatisfy(flooded ->
                        assertThat(flooded.throughAfterTheFirstBlock()).isEmpty());
    }

    @Test
    void anAddressOnTheIpReputationListIsRefusedBeforeTheFunction() {
        stack.listOnIpReputation(List.of(LISTED + "/32"));
        TokenIssuer.Issued token = stack.token(fleet, 1);

        ApiResponse listed = api.postOnceFrom(
                LISTED,
                token.bearer().reveal(),
                "application/json",
                Api.json(Api.body("listed", "machine-listed", null)));
        ApiResponse elsewhere =
                api.enrollFrom(MACHINE, token.bearer().reveal(), Api.body("clean", "machine-clean", null));

        assertThat(listed.status()).as(listed.toString()).isEqualTo(403);
        assertThat(listed.errorCode()).isEqualTo("source_blocked");
        assertThat(elsewhere.status()).as(elsewhere.toString()).isEqualTo(201);
        assertThat(stack.store.token(token.token().tokenId()).orElseThrow().uses())
                .isEqualTo(1);
    }
}
