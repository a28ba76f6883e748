package dev.hybridonboarding.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.hybridonboarding.cli.Hob;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The admin CLI against the local stack, as a platform engineer uses it. */
class AdminCliIT {

    private final LocalStack stack = LocalStack.get();
    private final Api api = new Api(stack);
    private String fleet;

    private HobRun hob(String... args) {
        return HobRun.of(stack, args);
    }

    @BeforeEach
    void fleetName() {
        stack.clearFailureCounters();
        fleet = LocalStack.uniqueFleet("cli");
    }

    @AfterAll
    static void noSecretReachedALog() {
        Secrets.assertNoneLogged(LocalStack.get().functionLogFiles());
    }

    @Test
    void fleetsAreCreatedListedShownUpdatedDisabledAndEnabled() throws IOException {
        HobRun created = hob(
                "fleet",
                "create",
                fleet,
                "--mode",
                "shared",
                "--registration-limit",
                "50",
                "--tag",
                "env=prod",
                "--tag",
                "team=platform",
                "--accept-tag-key",
                "rack",
                "--activation-lifetime",
                "3d",
                "--description",
                "edge boxes");
        assertThat(created.exitCode()).as(created.err()).isZero();
        assertThat(created.err()).contains("hob: changing local stack at " + stack.endpoint);
        assertThat(created.out())
                .contains("Fleet " + fleet + " created.")
                .contains("shared")
                .contains("env=prod,team=platform");

        Map<String, Object> shown = hob("--json", "fleet", "show", fleet).json();
        assertThat(shown)
                .containsEntry("mode", "shared")
                .containsEntry("registrationLimit", 50)
                .containsEntry("activationLifetime", "PT72H")
                .containsEntry("enabled", true)
                .containsEntry("instanceRole", stack.templateFleet.instanceRole())
                .containsEntry("source", "stored")
                .containsEntry("acceptedTagKeys", List.of("rack"));

        HobRun listed = hob("fleet", "list");
        assertThat(listed.out()).contains("FLEET").contains(fleet).contains(stack.templateFleet.name());

        HobRun updated = hob("fleet", "update", fleet, "--registration-limit", "60", "--no-tags");
        assertThat(updated.exitCode()).as(updated.err()).isZero();
        assertThat(hob("--json", "fleet", "show", fleet).json())
                .containsEntry("registrationLimit", 60)
                .containsEntry("tags", Map.of())
                .containsEntry("version", 2);

        assertThat(hob("fleet", "disable", fleet).out()).contains("disabled");
        assertThat(hob("--json", "fleet", "show", fleet).json()).containsEntry("enabled", false);
        assertThat(hob("fleet", "enable", fleet).exitCode()).isZero();
        assertThat(hob("--json", "fleet", "show", fleet).json()).containsEntry("enabled", true);
    }

    @Test
    void theTemplatesDefaultFleetIsListedAndShownAsSuch() throws IOException {
        Map<String, Object> shown =
                hob("--json", "fleet", "show", stack.templateFleet.name()).json();

        assertThat(shown.get("name")).isEqualTo(stack.templateFleet.name());
        assertThat(shown.get("instanceRole")).isEqualTo(stack.templateFleet.instanceRole());
    }

    @Test
    void tokensAreCreatedOnceUsedListedAndRevoked() throws IOException {
        assertThat(hob("fleet", "create", fleet).exitCode()).isZero();

        HobRun created = hob(
                "--json",
                "token",
                "create",
                "--fleet",
                fleet,
                "--uses",
                "3",
                "--lifetime",
                "2h",
                "--description",
                "rack 7");
        assertThat(created.exitCode()).as(created.err()).isZero();
        Map<String, Object> token = created.json();
        String bearer = (String) token.get("token");
        Secrets.remember(bearer);
        String tokenId = (String) token.get("tokenId");
        assertThat(token)
                .containsEntry("fleet", fleet)
                .containsEntry("maxUses", 3)
                .containsEntry("state", "active");

        ApiResponse enrolled = api.enroll(bearer, Api.body("rack7-01", null, null));
        assertThat(enrolled.status()).as(enrolled.toString()).isEqualTo(201);

        HobRun listed = hob("token", "list", "--fleet", fleet);
        assertThat(listed.out())
                .contains(tokenId)
                .contains("active")
                .contains("1/3")
                .contains("rack 7");
        assertThat(listed.out()).doesNotContain(bearer.substring(bearer.lastIndexOf('.') + 1));

        HobRun revoked = hob("token", "revoke", tokenId);
        assertThat(revoked.exitCode()).as(revoked.err()).isZero();
        assertThat(hob("token", "list", "--fleet", fleet).out()).contains("revoked");
        ApiResponse refused = api.enroll(bearer, Api.body("rack7-02", null, null));
        assertThat(refused.status()).as(refused.toString()).isEqualTo(401);

        HobRun plain = hob("token", "create", "--fleet", fleet);
        assertThat(plain.out()).contains("Store it now").contains("hob_" + fleet + ".");
        Secrets.remember(plain.out()
                .lines()
                .filter(line -> line.trim().startsWith("hob_"))
                .findFirst()
                .orElseThrow()
                .trim());
    }

    @Test
    void aTokenCanBeBoundToSourceNetworks() throws IOException {
        assertThat(hob("fleet", "create", fleet).exitCode()).isZero();
        HobRun created = hob("--json", "token", "create", "--fleet", fleet, "--source-cidr", "10.1.2.3/8");
        Map<String, Object> token = created.json();
        Secrets.remember((String) token.get("token"));

        assertThat(token.get("sourceCidrs")).isEqualTo(List.of("10.0.0.0/8"));
        ApiResponse refused = api.enroll((String) token.get("token"), Api.body("web", null, null));
        assertThat(refused.status())
                .as("a right token from outside its networks: " + refused)
                .isEqualTo(401);
    }

    @Test
    void enrollmentsAndStatusShowWhatHappened(@org.junit.jupiter.api.io.TempDir java.nio.file.Path agent)
            throws IOException {
        assertThat(hob("fleet", "create", fleet, "--mode", "shared", "--registration-limit", "10")
                        .exitCode())
                .isZero();
        Map<String, Object> token = hob("--json", "token", "create", "--fleet", fleet, "--uses", "5")
                .json();
        Secrets.remember((String) token.get("token"));
        ApiResponse first = api.enroll((String) token.get("token"), Api.body("edge-1", "m-edge-1", Map.of()));
        ApiResponse second = api.enroll((String) token.get("token"), Api.body("edge-2", "m-edge-2", Map.of()));
        assertThat(first.status()).isEqualTo(201);
        assertThat(second.status()).isEqualTo(201);
        assertThat(new FakeAgent(stack, agent, "edge-1")
                        .register(first.field("activationId"), first.field("activationCode"))
                        .succeeded())
                .isTrue();

        List<Object> enrollments = hob("--json", "enrollments", "list", "--fleet", fleet, "--since", "1h")
                .jsonList();
        assertThat(enrollments).hasSize(2);
        assertThat(enrollments.stream()
                        .map(e -> String.valueOf(((Map<?, ?>) e).get("hostname")))
                        .toList())
                .containsExactly("edge-2", "edge-1");
        assertThat(hob("enrollments", "list", "--fleet", fleet).out())
                .contains("edge-1")
                .contains("127.0.0.1");

        Map<?, ?> status = (Map<?, ?>)
                ((List<?>) hob("--json", "status", "--fleet", fleet).json().get("fleets")).get(0);
        assertThat(status.get("currentActivationId")).isEqualTo(first.field("activationId"));
        assertThat(status.get("used")).isEqualTo(2);
        assertThat(status.get("limit")).isEqualTo(10);
        assertThat(status.get("liveActivations")).isEqualTo(1);
        assertThat(status.get("registeredMachines")).isEqualTo(1);
        assertThat(hob("status").out()).contains(fleet).contains("2/10").contains("local stack");
    }

    @Test
    void mistakesGetClearMessagesAndAnExitCode() {
        HobRun unknown = hob("fleet", "show", "no-such-fleet");
        assertThat(unknown.exitCode()).isEqualTo(2);
        assertThat(unknown.err()).contains("fleet 'no-such-fleet' does not exist");

        assertThat(hob("token", "create", "--fleet", "no-such-fleet").err()).contains("does not exist");
        assertThat(hob("fleet", "create", "Bad_Name").err()).contains("fleet name");
        assertThat(hob("fleet", "create", fleet, "--instance-role", "arn:aws:iam::123456789012:role/Managed")
                        .err())
                .contains("not its ARN");
        assertThat(hob("fleet", "create", fleet, "--registration-limit", "5").err())
                .contains("shared fleets");
        assertThat(hob("fleet", "create", fleet, "--instance-role", "SomeOtherRole")
                        .err())
                .contains("may only hand SSM the stack's instance role")
                .contains("--path /hybrid-onboarding/");
        assertThat(hob("fleet", "create", fleet, "--instance-role", "hybrid-onboarding-instance-x/Admin")
                        .err())
                .as("a name prefix in the role's path is not the stack's path")
                .contains("may only hand SSM");
        HobRun badDuration = hob("token", "create", "--lifetime", "banana");
        assertThat(badDuration.exitCode()).isEqualTo(2);
        assertThat(badDuration.err()).contains("not a duration");
        assertThat(hob("token", "revoke", "nope").err()).contains("no enrollment token");
        assertThat(hob("fleet", "bogus").exitCode()).isEqualTo(2);
    }

    @Test
    void everyCommandHasHelp() {
        List<List<String>> paths = new ArrayList<>();
        collect(new CommandLine(new Hob()), new ArrayList<>(), paths);
        assertThat(paths).hasSizeGreaterThan(12);
        for (List<String> path : paths) {
            List<String> args = new ArrayList<>(path);
            args.add("--help");
            StringWriter out = new StringWriter();
            int exitCode =
                    Hob.execute(new PrintWriter(out), new PrintWriter(new StringWriter()), args.toArray(String[]::new));
            assertThat(exitCode).as(String.join(" ", args)).isZero();
            assertThat(out.toString()).as(String.join(" ", args)).contains("Usage: hob");
        }
    }

    private static void collect(CommandLine command, List<String> path, List<List<String>> paths) {
        paths.add(path);
        command.getSubcommands().forEach((name, sub) -> {
            if (!name.equals("help")) {
                List<String> subPath = new ArrayList<>(path);
                subPath.add(name);
                collect(sub, subPath, paths);
            }
        });
    }

    @Test
    void theShippedJarFindsTheStackThroughCloudFormation() throws Exception {
        ProcessBuilder jar = new ProcessBuilder(
                "java",
                "-jar",
                stack.projectRoot.resolve("cli/target/hob.jar").toString(),
                "--stack-name",
                String.valueOf(stack.state.get("stackName")),
                "--endpoint-url",
                stack.endpoint.toString(),
                "--region",
                stack.region,
                "fleet",
                "list");
        jar.environment().put("AWS_ACCESS_KEY_ID", "test");
        jar.environment().put("AWS_SECRET_ACCESS_KEY", "test");
        jar.redirectErrorStream(true);
        Process process = jar.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();

        assertThat(process.exitValue()).as(output).isZero();
        assertThat(output).contains(stack.templateFleet.name()).contains("FLEET");
    }
}
