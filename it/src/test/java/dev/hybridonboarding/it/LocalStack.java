package dev.hybridonboarding.it;

import com.fasterxml.jackson.jr.ob.JSON;
import dev.hybridonboarding.admin.FleetAdmin;
import dev.hybridonboarding.admin.TokenAdmin;
import dev.hybridonboarding.aws.AwsClients;
import dev.hybridonboarding.aws.DynamoAdminStore;
import dev.hybridonboarding.aws.TableItems;
import dev.hybridonboarding.fleet.Fleet;
import dev.hybridonboarding.fleet.FleetDefaults;
import dev.hybridonboarding.token.TokenIssuer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.cloudformation.CloudFormationClient;
import software.amazon.awssdk.services.cloudformation.model.Parameter;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.ssm.SsmClient;

/**
 * The running local stack, as its state file describes it: the API, the emulator's endpoint and knobs, and the
 * stack's outputs. It fails loudly when the stack is not running; integration tests never skip.
 */
final class LocalStack {

    private static LocalStack instance;
    private static final Duration FAILURE_WINDOW = Duration.ofMinutes(5);

    final Path projectRoot;
    final Map<String, Object> state;
    final URI apiUrl;
    final URI endpoint;
    final String region;
    final String table;
    final Fleet templateFleet;
    private final Map<String, String> templateFleetSettings;
    private final Map<String, Object> outputs;
    final AwsClients clients;
    final SsmClient ssm;
    final DynamoDbClient dynamo;
    final DynamoAdminStore store;
    final FleetAdmin fleets;
    final TokenAdmin tokens;
    final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @SuppressWarnings("unchecked")
    private LocalStack(Path stateFile) throws IOException {
        projectRoot = Path.of(System.getProperty("projectRoot", ".."))
                .toAbsolutePath()
                .normalize();
        state = JSON.std.mapFrom(Files.readString(stateFile));
        apiUrl = URI.create((String) state.get("apiUrl"));
        endpoint = URI.create((String) state.get("endpointUrl"));
        region = (String) state.get("region");
        outputs = (Map<String, Object>) state.get("outputs");
        table = (String) outputs.get("TableName");
        Map<String, String> settings = new HashMap<>();
        JSON.std
                .mapFrom((String) outputs.get("DefaultFleetSettings"))
                .forEach((k, v) -> settings.put(k, String.valueOf(v)));
        templateFleet = FleetDefaults.fromSettings(settings);
        templateFleetSettings = Map.copyOf(settings);
        // The tests' own calls (setting up, checking what the functions did) wait as an operator would: the emulator
        // on a loaded machine can take longer than the functions' budget.
        clients = new AwsClients(
                Region.of(region),
                () -> StaticCredentialsProvider.create(AwsBasicCredentials.create("test", "test")),
                Optional.of(endpoint),
                AwsClients.Patience.OPERATOR);
        // Retried on server errors as well: the tests' own calls may be repeated as they are.
        ssm = clients.configure(SsmClient.builder()).build();
        dynamo = clients.dynamoDb();
        store = new DynamoAdminStore(dynamo, table);
        fleets = new FleetAdmin(store, templateFleet, (String) outputs.get("InstanceRolePath"), Clock.systemUTC());
        tokens = new TokenAdmin(store, fleets, new TokenIssuer(new SecureRandom()), Clock.systemUTC());
    }

    static synchronized LocalStack get() {
        if (instance == null) {
            Path stateFile = Path.of(System.getProperty("localStackState", "../target/it-stack.json"));
            if (!Files.exists(stateFile)) {
                throw new IllegalStateException(
                        "no local stack: " + stateFile + " does not exist. Run the tests with bin/test, "
                                + "which starts the stack, or start it with `python3 -m hybrid_local up --state-file "
                                + stateFile + "`");
            }
            try {
                instance = new LocalStack(stateFile);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return instance;
    }

    /** The API's URL for a path of its own, e.g. {@code /v1/activations}: the base URL holds the stage. */
    URI api(String path) {
        return URI.create(apiUrl + path);
    }

    /** The default fleet's settings as the functions get them in their environment. */
    Map<String, String> templateFleetSettings() {
        return templateFleetSettings;
    }

    String output(String name) {
        return String.valueOf(outputs.get(name));
    }

    /** A template parameter as the stack was deployed with it (its default, unless overridden). */
    String parameter(String name) {
        try (CloudFormationClient cloudFormation =
                clients.configure(CloudFormationClient.builder()).build()) {
            return cloudFormation
                    .describeStacks(request -> request.stackName(String.valueOf(state.get("stackName"))))
                    .stacks()
                    .get(0)
                    .parameters()
                    .stream()
                    .filter(parameter -> parameter.parameterKey().equals(name))
                    .map(Parameter::parameterValue)
                    .findFirst()
                    .orElseThrow(() -> new IllegalStateException("the stack has no parameter " + name));
        }
    }

    /** An output whose value is a JSON object, such as the settings the stack hands the admin CLI. */
    Map<String, Object> outputJson(String name) {
        try {
            return JSON.std.mapFrom(output(name));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A function's name as deployed, from its logical id in the template. */
    @SuppressWarnings("unchecked")
    String functionName(String logicalId) {
        return (String)
                ((Map<String, Object>) ((Map<String, Object>) state.get("functions")).get(logicalId)).get("name");
    }

    /** A fleet name no other test uses. */
    static String uniqueFleet(String prefix) {
        return prefix + "-" + Long.toString(System.nanoTime() % 1_000_000_000L, 36);
    }

    String stateFile() {
        return String.valueOf(
                state.get("stateFile") == null ? System.getProperty("localStackState") : state.get("stateFile"));
    }

    /** Issues a token and remembers its secret, so the log scan can prove it never reached a log. */
    TokenIssuer.Issued token(String fleet, int uses, List<String> sourceCidrs) {
        TokenIssuer.Issued issued = tokens.create(fleet, uses, Duration.ofHours(1), sourceCidrs, "integration test");
        Secrets.remember(issued.bearer().reveal());
        return issued;
    }

    TokenIssuer.Issued token(String fleet, int uses) {
        return token(fleet, uses, List.of());
    }

    /** Forgets the failed-attempt counters, so one test's failures do not slow down the next. */
    void clearFailureCounters() {
        dynamo.scanPaginator(request -> request.tableName(table)
                        .filterExpression("begins_with(pk, :failures)")
                        .expressionAttributeValues(Map.of(":failures", AttributeValue.fromS("FAILURES#"))))
                .items()
                .forEach(item ->
                        dynamo.deleteItem(request -> request.tableName(table).key(TableItems.keyOf(item))));
    }

    /** A control call to the emulator ({@code /_hybrid/...}). */
    Map<String, Object> emulator(String method, String path, Map<String, Object> body) {
        try {
            HttpRequest.Builder request = HttpRequest.newBuilder(endpoint.resolve("/_hybrid/" + path))
                    .header("Content-Type", "application/json");
            request.method(
                    method,
                    body == null
                            ? HttpRequest.BodyPublishers.noBody()
                            : HttpRequest.BodyPublishers.ofString(JSON.std.asString(body)));
            HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() >= 300) {
                throw new IllegalStateException("emulator " + method + " " + path + " answered " + response.statusCode()
                        + ": " + response.body());
            }
            return response.body().isBlank() ? Map.of() : JSON.std.mapFrom(response.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * Fills the API stage's throttling buckets again, so that a test which counts on the stage's limits, or
     * sends a burst that must fit in them, starts from a known state whatever ran before it.
     */
    void refillApiThrottle() {
        expectOk(controlCall("POST", "apis/throttle/refill"), "refilling the API's throttle");
    }

    /** The web ACL forgets what it counted per source, so that a test starts from a known state. */
    void resetWaf() {
        expectOk(controlCall("POST", "waf/reset"), "resetting the web ACL's counts");
    }

    /** Puts these addresses on the local model of AWS's IP reputation list (empty: none). */
    void listOnIpReputation(List<String> addresses) {
        expectOk(
                controlCall("PUT", "waf/ip-reputation", Map.of("addresses", addresses)),
                "setting the IP reputation list");
    }

    private static void expectOk(ControlAnswer answer, String what) {
        if (answer.status() != 200) {
            throw new IllegalStateException(what + " answered " + answer);
        }
    }

    /** A read of the local stack's own control endpoint ({@code /functions}, {@code /health}). */
    Map<String, Object> control(String path) {
        ControlAnswer answer = controlCall("GET", path);
        expectOk(answer, "local stack control " + path);
        return answer.body();
    }

    /** What the local stack's control endpoint answered: its status and JSON body. */
    record ControlAnswer(int status, Map<String, Object> body) {}

    /** A call without a body to the local stack's own control endpoint (see local_stack.py). */
    ControlAnswer controlCall(String method, String path) {
        return controlCall(method, path, null);
    }

    private ControlAnswer controlCall(String method, String path, Map<String, Object> body) {
        try {
            HttpResponse<String> response = http.send(
                    HttpRequest.newBuilder(URI.create(state.get("controlUrl") + "/" + path))
                            .method(
                                    method,
                                    body == null
                                            ? HttpRequest.BodyPublishers.noBody()
                                            : HttpRequest.BodyPublishers.ofString(JSON.std.asString(body)))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            return new ControlAnswer(
                    response.statusCode(), response.body().isBlank() ? Map.of() : JSON.std.mapFrom(response.body()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** A function's access key id: its calls to the emulator are told apart by it. */
    @SuppressWarnings("unchecked")
    String accessKeyOf(String functionLogicalId) {
        return (String) ((Map<String, Object>) ((Map<String, Object>) state.get("functions")).get(functionLogicalId))
                .get("accessKeyId");
    }

    /** How many times each AWS call was made by one function since the stack started. */
    @SuppressWarnings("unchecked")
    Map<String, Integer> callsOf(String functionLogicalId) {
        Map<String, Object> calls = (Map<String, Object>)
                emulator("GET", "calls-by-access-key", null).getOrDefault(accessKeyOf(functionLogicalId), Map.of());
        Map<String, Integer> counts = new HashMap<>();
        calls.forEach((call, count) -> counts.put(call, ((Number) count).intValue()));
        return counts;
    }

    /**
     * Failed attempts are counted in fixed windows aligned to the epoch (the template's FailureWindow, five minutes
     * by default): a test that must reach a limit within one window waits for the next one when too little of the
     * current one is left, instead of seeing its counts reset halfway.
     */
    void awaitFailureWindowLasting(Duration needed) {
        long window = FAILURE_WINDOW.toMillis();
        long left = window - Math.floorMod(System.currentTimeMillis(), window);
        if (left < needed.toMillis()) {
            try {
                Thread.sleep(left + 500);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }

    void injectFault(String target, String error, int status, int count) {
        emulator("POST", "faults", Map.of("target", target, "error", error, "status", status, "count", count));
    }

    void clearFaults() {
        emulator("DELETE", "faults", null);
    }

    /** A resource of the template as the stack was deployed from it (after the SAM transform), by its logical id. */
    @SuppressWarnings("unchecked")
    Map<String, Object> deployedResource(String logicalId) {
        try (CloudFormationClient cloudFormation =
                clients.configure(CloudFormationClient.builder()).build()) {
            String body = cloudFormation
                    .getTemplate(request -> request.stackName(String.valueOf(state.get("stackName"))))
                    .templateBody();
            return (Map<String, Object>)
                    ((Map<String, Object>) JSON.std.mapFrom(body).get("Resources")).get(logicalId);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @SuppressWarnings("unchecked")
    String functionLogFile(String logicalId) {
        Map<String, Object> functions = (Map<String, Object>) state.get("functions");
        return (String) ((Map<String, Object>) functions.get(logicalId)).get("logFile");
    }

    /** One tick of a schedule, now, through the local stack's control endpoint; its function's answer. */
    @SuppressWarnings("unchecked")
    Map<String, Object> tick(String schedule) {
        try {
            HttpResponse<String> response = http.send(
                    HttpRequest.newBuilder(URI.create(state.get("controlUrl") + "/schedules/" + schedule + "/tick"))
                            .POST(HttpRequest.BodyPublishers.noBody())
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                throw new IllegalStateException(
                        "ticking " + schedule + " answered " + response.statusCode() + ": " + response.body());
            }
            return (Map<String, Object>) JSON.std.mapFrom(response.body()).get("result");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @SuppressWarnings("unchecked")
    List<String> functionLogFiles() {
        Map<String, Object> functions = (Map<String, Object>) state.get("functions");
        return functions.values().stream()
                .map(f -> (String) ((Map<String, Object>) f).get("logFile"))
                .toList();
    }
}
