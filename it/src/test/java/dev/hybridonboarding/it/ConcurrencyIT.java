package dev.hybridonboarding.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hybridonboarding.fleet.FleetMode;
import dev.hybridonboarding.token.TokenIssuer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Many machines with one token at the same moment, through several warm execution environments of the
 * function: the token's uses are counted atomically, so exactly as many succeed as it had uses left, and the
 * losers leave no activation behind.
 */
class ConcurrencyIT {

    private static final int REQUESTS = 24;

    private final LocalStack stack = LocalStack.get();
    private final Api api = new Api(stack);

    @BeforeEach
    void clean() {
        stack.clearFailureCounters();
    }

    @AfterAll
    static void noSecretReachedALog() {
        Secrets.assertNoneLogged(LocalStack.get().functionLogFiles());
    }

    private List<ApiResponse> burst(String token, String hostPrefix) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(REQUESTS);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<ApiResponse>> futures = new ArrayList<>();
            for (int i = 0; i < REQUESTS; i++) {
                String host = hostPrefix + "-" + i;
                futures.add(pool.submit(() -> {
                    start.await();
                    return api.enroll(token, Api.body(host, "machine-" + host, null));
                }));
            }
            start.countDown();
            List<ApiResponse> responses = new ArrayList<>();
            for (Future<ApiResponse> future : futures) {
                responses.add(future.get());
            }
            return responses;
        } finally {
            pool.shutdownNow();
        }
    }

    private int createActivationCalls() {
        return ((Number) stack.emulator("GET", "calls", null).getOrDefault("ssm.CreateActivation", 0)).intValue();
    }

    private long activationsNamed(String hostPrefix) {
        return stack.ssm.describeActivationsPaginator(request -> { }).activationList().stream()
                .filter(activation -> activation.defaultInstanceName() != null && activation.defaultInstanceName().startsWith(hostPrefix + "-"))
                .count();
    }

    @Test
    void exactlyAsManyEnrollmentsSucceedAsTheTokenHadUsesLeft() throws Exception {
        String fleet = LocalStack.uniqueFleet("race");
        stack.fleets.create(fleet, FleetMode.SINGLE_USE, f -> f);
        int usesLeft = 5;
        TokenIssuer.Issued issued = stack.token(fleet, usesLeft);

        List<ApiResponse> responses = burst(issued.bearer().reveal(), fleet);

        Map<Integer, Long> byStatus = responses.stream().collect(Collectors.groupingBy(ApiResponse::status, Collectors.counting()));
        assertThat(byStatus).as(responses.toString()).containsOnlyKeys(201, 403);
        assertThat(byStatus.get(201)).isEqualTo(usesLeft);
        assertThat(responses.stream().filter(r -> r.status() == 403).map(ApiResponse::errorCode)).containsOnly("token_exhausted");
        assertThat(stack.store.token(issued.token().tokenId()).orElseThrow().uses()).isEqualTo(usesLeft);
        assertThat(activationsNamed(fleet)).as("activations left in SSM").isEqualTo(usesLeft);
        assertThat(responses.stream().filter(r -> r.status() == 201).map(r -> r.field("activationId")).distinct()).hasSize(usesLeft);
    }

    @Test
    void aSharedActivationIsNeverHandedToMoreMachinesThanItsLimit() throws Exception {
        String fleet = LocalStack.uniqueFleet("shared-race");
        int limit = 4;
        stack.fleets.create(fleet, FleetMode.SHARED, f -> f.withRegistrationLimit(limit));
        TokenIssuer.Issued issued = stack.token(fleet, REQUESTS);
        int createdBefore = createActivationCalls();

        List<ApiResponse> responses = burst(issued.bearer().reveal(), fleet);
        int created = createActivationCalls() - createdBefore;

        assertThat(responses).allSatisfy(r -> assertThat(r.status()).as(r.toString()).isIn(201, 503));
        assertThat(responses.stream().filter(r -> r.status() == 201).count()).as("enrollments that succeeded")
                .isGreaterThanOrEqualTo(2L * limit);
        Map<String, Long> perActivation = responses.stream().filter(r -> r.status() == 201)
                .collect(Collectors.groupingBy(r -> r.field("activationId"), Collectors.counting()));
        assertThat(perActivation.values()).allSatisfy(handouts -> assertThat(handouts).isLessThanOrEqualTo(limit));
        long succeeded = responses.stream().filter(r -> r.status() == 201).count();
        assertThat(stack.store.token(issued.token().tokenId()).orElseThrow().uses()).isEqualTo((int) succeeded);
        assertThat(created).as("CreateActivation calls: one per fill, thanks to the installation lease")
                .isEqualTo(perActivation.size());
        Map<String, Integer> registrations = new HashMap<>();
        stack.ssm.describeActivationsPaginator(request -> request.filters(filter -> filter
                        .filterKey("ActivationIds").filterValues(perActivation.keySet())))
                .activationList().forEach(a -> registrations.put(a.activationId(), a.registrationLimit()));
        assertThat(registrations).hasSameSizeAs(perActivation).allSatisfy((id, registrationLimit) -> assertThat(registrationLimit).isEqualTo(limit));
    }
}
