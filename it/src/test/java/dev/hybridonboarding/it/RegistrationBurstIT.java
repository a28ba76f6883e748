package dev.hybridonboarding.it;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.jr.ob.JSON;
import dev.hybridonboarding.activation.InstanceTags;
import dev.hybridonboarding.token.TokenIssuer;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A burst of first boots on the local stack, each machine enrolling and then registering with the fake agent,
 * while the emulator throttles AddTagsToResource: every machine is named and tagged with its own enrollment, nothing
 * ends in the dead-letter queue, and the team hears of each machine exactly once, most of them in digests.
 *
 * <p>{@value #MACHINES} machines keep a CI run within a few minutes and are enough to pass the test stack's digest
 * threshold (10 a one-minute window) in every window the burst can spread over; {@code bench/registration_burst.py}
 * runs the same burst with 1,000 machines and measures it (docs/benchmarks.md).
 */
class RegistrationBurstIT {

    static final int MACHINES = 60;
    private static final String WELCOMES = "machines-registered-digest";

    private final LocalStack stack = LocalStack.get();
    private final Api api = new Api(stack);
    private final RegisteredMachines machines = new RegisteredMachines(stack);

    @AfterEach
    void noFaults() {
        stack.clearFaults();
    }

    @Test
    void everyMachineOfABurstIsTaggedOnceThoughTaggingIsThrottledAndTheTeamGetsDigests(@TempDir Path dir)
            throws IOException {
        String burst = "burst-" + UUID.randomUUID().toString().substring(0, 8);
        TokenIssuer.Issued token = stack.token(stack.templateFleet.name(), MACHINES);
        List<Map<String, String>> enrolled = enrollAll(burst, token);
        int tagCallsBefore = stack.callsOf("RegistrationFunction").getOrDefault("ssm.AddTagsToResource", 0);
        // Slower than the function's own pace (RegistrationSsmCallsPerSecond): it is throttled until it slows down.
        stack.emulator("POST", "faults", Map.of("target", "ssm.AddTagsToResource", "ratePerSecond", 2, "burst", 2));
        try (Notifications notifications = Notifications.subscribe(stack, burst)) {
            Map<String, String> instances = boot(enrolled, dir);

            instances.forEach((hostname, instanceId) -> assertThat(
                            machines.awaitTags(instanceId, tags -> tags.containsKey(InstanceTags.REGISTERED_AT)))
                    .containsEntry(InstanceTags.NAME, hostname));
            instances.values().forEach(machines::awaitBothRoutes);
            instances
                    .values()
                    .forEach(instanceId -> notifications.await(
                            instanceId, document -> true, RegisteredMachines.BOUND, "announcement"));
            Map<String, List<Map<String, Object>>> heard = new HashMap<>();
            instances.values().forEach(instanceId -> heard.put(instanceId, notifications.about(instanceId)));

            assertThat(heard)
                    .allSatisfy((instanceId, documents) -> assertThat(documents)
                            .as("what was said of " + instanceId)
                            .hasSize(1));
            List<Map<String, Object>> documents =
                    heard.values().stream().flatMap(List::stream).distinct().toList();
            assertThat(documents)
                    .as("messages about the burst")
                    .hasSizeLessThan(MACHINES)
                    .anyMatch(Notifications.ofType(WELCOMES));
            assertThat(machines.deadLetters()).isZero();
            for (Map<String, String> machine : enrolled) {
                String instanceId = instances.get(machine.get("hostname"));
                assertThat(machines.enrollment(machine.get("enrollmentId"))
                                .get("instanceId")
                                .s())
                        .isEqualTo(instanceId);
                // Tagged once: its own name and enrollment. A tagging call the loaded emulator answered too late for
                // the
                // SDK is sent again with the same tags, which changes nothing; RegistrationIT counts calls one machine
                // at a time.
                assertThat(machines.tags(instanceId))
                        .as(instanceId)
                        .containsEntry(InstanceTags.NAME, machine.get("hostname"))
                        .containsEntry(InstanceTags.ENROLLMENT_ID, machine.get("enrollmentId"));
            }
        }
        assertThat(stack.callsOf("RegistrationFunction").getOrDefault("ssm.AddTagsToResource", 0) - tagCallsBefore)
                .as("AddTagsToResource calls, throttled ones included")
                .isGreaterThan(MACHINES);
    }

    /** Enrolls every machine, a few at a time as first boots do; each its hostname, address, activation and enrollment. */
    private List<Map<String, String>> enrollAll(String burst, TokenIssuer.Issued token) {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<Map<String, String>>> answers = new ArrayList<>();
            for (int i = 0; i < MACHINES; i++) {
                String hostname = burst + "-" + i;
                String ipAddress = "10.77." + i / 250 + "." + (i % 250 + 1);
                answers.add(pool.submit(() -> {
                    ApiResponse answer = api.enroll(token.bearer().reveal(), Api.body(hostname, hostname, null));
                    assertThat(answer.status()).as(answer.toString()).isEqualTo(201);
                    Secrets.remember(answer.field("activationCode"));
                    return Map.of(
                            "hostname",
                            hostname,
                            "ipAddress",
                            ipAddress,
                            "activationId",
                            answer.field("activationId"),
                            "activationCode",
                            answer.field("activationCode"),
                            "enrollmentId",
                            answer.field("enrollmentId"));
                }));
            }
            List<Map<String, String>> enrolled = new ArrayList<>();
            for (Future<Map<String, String>> answer : answers) {
                enrolled.add(answer.get());
            }
            return enrolled;
        } catch (ExecutionException e) {
            if (e.getCause() instanceof AssertionError failed) {
                throw failed;
            }
            throw new IllegalStateException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } finally {
            pool.shutdownNow();
        }
    }

    /** Registers every machine at once with local/fake-ssm-burst (the fake agent's code); their hostname → mi- id. */
    private Map<String, String> boot(List<Map<String, String>> enrolled, Path dir) throws IOException {
        ProcessBuilder builder = new ProcessBuilder(
                        stack.projectRoot.resolve("local/fake-ssm-burst").toString(),
                        "--state-root",
                        dir.toString(),
                        "--region",
                        stack.region,
                        "--workers",
                        "4")
                .redirectError(ProcessBuilder.Redirect.INHERIT);
        builder.environment().put("AWS_ENDPOINT_URL", stack.endpoint.toString());
        Process process = builder.start();
        try (Writer stdin = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8)) {
            for (Map<String, String> machine : enrolled) {
                stdin.write(JSON.std.asString(Map.of(
                                "hostname",
                                machine.get("hostname"),
                                "ipAddress",
                                machine.get("ipAddress"),
                                "activationId",
                                machine.get("activationId"),
                                "activationCode",
                                machine.get("activationCode")))
                        + "\n");
            }
        }
        List<String> lines = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8)
                .lines()
                .toList();
        try {
            assertThat(process.waitFor(5, TimeUnit.MINUTES))
                    .as("the burst finished")
                    .isTrue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        assertThat(process.exitValue()).as(String.join("\n", lines)).isZero();
        Map<String, String> instances = new HashMap<>();
        for (String line : lines) {
            Map<String, Object> booted = JSON.std.mapFrom(line);
            instances.put((String) booted.get("hostname"), (String) booted.get("instanceId"));
        }
        assertThat(instances).hasSize(enrolled.size());
        return instances;
    }
}
