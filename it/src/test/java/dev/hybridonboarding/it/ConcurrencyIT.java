package dev.hybridonboarding.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hybridonboarding.activation.InstanceTags;
import dev.hybridonboarding.fleet.FleetMode;
import dev.hybridonboarding.rotation.ActivationRecord;
import dev.hybridonboarding.token.TokenIssuer;
import java.time.Instant;
import java.util.ArrayList;
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
import software.amazon.awssdk.services.ssm.model.Activation;

/**
 * Many machines with one token at the same moment, through several execution environments of the function,
 * each retrying as a machine does while the service is busy (503, the stage's 429). What every machine ends up
 * with is what is asserted: the token's uses are counted atomically, so exactly as many machines enroll as it had
 * uses left, every use spent is one activation kept, no activation goes to more machines than its limit, and
 * the losers leave nothing behind. How many answers were 503 along the way depends on the load, and is not
 * asserted.
 */
class ConcurrencyIT {

    private static final int MACHINES = 24;

    private final LocalStack stack = LocalStack.get();
    private final Api api = new Api(stack);

    @BeforeEach
    void clean() {
        stack.clearFailureCounters();
        stack.refillApiThrottle();
    }

    @AfterAll
    static void noSecretReachedALog() {
        Secrets.assertNoneLogged(LocalStack.get().functionLogFiles());
    }

    /** One machine's way to its answer. */
    private record Machine(String hostname, Api.Answers answers) {

        ApiResponse outcome() {
            return answers.last();
        }

        boolean enrolled() {
            return outcome().status() == 201 || outcome().status() == 200;
        }

        String activationId() {
            return outcome().field("activationId");
        }

        /** A replay (200) answers a machine that enrolled before: only one whose earlier attempt went unanswered. */
        boolean answeredAsReplayOnItsFirstAttempt() {
            return answers.all().get(0).status() == 200;
        }
    }

    private List<Machine> bootAtOnce(String token, String hostPrefix) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(MACHINES);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<Machine>> futures = new ArrayList<>();
            for (int i = 0; i < MACHINES; i++) {
                String host = hostPrefix + "-" + i;
                futures.add(pool.submit(() -> {
                    start.await();
                    return new Machine(host, api.enrollAsMachine(token, Api.body(host, "machine-" + host, null)));
                }));
            }
            start.countDown();
            List<Machine> machines = new ArrayList<>();
            for (Future<Machine> future : futures) {
                machines.add(future.get());
            }
            return machines;
        } finally {
            pool.shutdownNow();
        }
    }

    private List<Activation> activationsInSsm(java.util.function.Predicate<Activation> which) {
        return stack.ssm.describeActivationsPaginator(request -> {}).activationList().stream()
                .filter(which)
                .toList();
    }

    @Test
    void exactlyAsManyMachinesEnrollAsTheTokenHadUsesLeft() throws Exception {
        String fleet = LocalStack.uniqueFleet("race");
        stack.fleets.create(fleet, FleetMode.SINGLE_USE, f -> f);
        int usesLeft = 5;
        TokenIssuer.Issued issued = stack.token(fleet, usesLeft);

        List<Machine> machines = bootAtOnce(issued.bearer().reveal(), fleet);

        List<Machine> enrolled = machines.stream().filter(Machine::enrolled).toList();
        List<Machine> refused = machines.stream().filter(m -> !m.enrolled()).toList();
        assertThat(enrolled).as("machines enrolled: %s", machines).hasSize(usesLeft);
        assertThat(refused)
                .allSatisfy(m ->
                        assertThat(m.outcome().errorCode()).as(m.toString()).isEqualTo("token_exhausted"));
        assertThat(machines).noneMatch(Machine::answeredAsReplayOnItsFirstAttempt);
        assertThat(stack.store.token(issued.token().tokenId()).orElseThrow().uses())
                .as("uses spent")
                .isEqualTo(usesLeft);
        assertThat(stack.store.enrollments(fleet, Instant.EPOCH, 100)).hasSize(usesLeft);
        assertThat(stack.store.activations(fleet, Instant.EPOCH))
                .extracting(ActivationRecord::activationId)
                .as("activations kept, one per use spent, each the one a machine got")
                .containsExactlyInAnyOrderElementsOf(
                        enrolled.stream().map(Machine::activationId).toList());
        Map<String, Activation> inSsm =
                activationsInSsm(a -> a.defaultInstanceName() != null
                                && a.defaultInstanceName().startsWith(fleet + "-"))
                        .stream()
                        .collect(Collectors.toMap(Activation::activationId, a -> a));
        assertThat(enrolled).allSatisfy(m -> {
            Activation activation = inSsm.get(m.activationId());
            assertThat(activation)
                    .as("the activation %s handed to %s exists", m.activationId(), m.hostname())
                    .isNotNull();
            assertThat(activation.defaultInstanceName()).isEqualTo(m.hostname());
            assertThat(activation.registrationsCount()).isLessThan(activation.registrationLimit());
        });
    }

    @Test
    void aSharedActivationIsNeverHandedToMoreMachinesThanItsLimit() throws Exception {
        String fleet = LocalStack.uniqueFleet("shared-race");
        int limit = 4;
        stack.fleets.create(fleet, FleetMode.SHARED, f -> f.withRegistrationLimit(limit));
        TokenIssuer.Issued issued = stack.token(fleet, MACHINES);

        List<Machine> machines = bootAtOnce(issued.bearer().reveal(), fleet);

        assertThat(machines)
                .as("every machine enrolls: the token has a use for each")
                .allMatch(Machine::enrolled);
        assertThat(machines).noneMatch(Machine::answeredAsReplayOnItsFirstAttempt);
        Map<String, Long> machinesPerActivation =
                machines.stream().collect(Collectors.groupingBy(Machine::activationId, Collectors.counting()));
        assertThat(machinesPerActivation.values())
                .allSatisfy(handouts -> assertThat(handouts).isLessThanOrEqualTo(limit));
        assertThat(stack.store.token(issued.token().tokenId()).orElseThrow().uses())
                .as("uses spent")
                .isEqualTo(MACHINES);
        assertThat(stack.store.enrollments(fleet, Instant.EPOCH, 100)).hasSize(MACHINES);
        assertThat(stack.store.activations(fleet, Instant.EPOCH))
                .extracting(ActivationRecord::activationId)
                .as("activations kept: each one that machines got")
                .containsExactlyInAnyOrderElementsOf(machinesPerActivation.keySet());
        Map<String, Activation> ofFleet = activationsInSsm(a -> a.tags().stream()
                        .anyMatch(tag -> tag.key().equals(InstanceTags.FLEET)
                                && tag.value().equals(fleet)))
                .stream()
                .collect(Collectors.toMap(Activation::activationId, a -> a));
        assertThat(machinesPerActivation.keySet()).allSatisfy(id -> {
            assertThat(ofFleet).as("the activation %s handed out exists", id).containsKey(id);
            assertThat(ofFleet.get(id).registrationLimit()).isEqualTo(limit);
        });
    }
}
