package dev.hybridonboarding.bench.warm;

import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyRequestEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyResponseEvent;
import com.amazonaws.services.lambda.runtime.tests.EventLoader;
import dev.hybridonboarding.activation.ActivationOwner;
import dev.hybridonboarding.activation.CachingCodeVault;
import dev.hybridonboarding.enrollment.EnrollmentService;
import dev.hybridonboarding.enrollment.EnrollmentSnapshot;
import dev.hybridonboarding.enrollment.FailurePolicy;
import dev.hybridonboarding.fleet.Fleet;
import dev.hybridonboarding.fleet.FleetDefaults;
import dev.hybridonboarding.fleet.FleetMode;
import dev.hybridonboarding.function.EnrollmentHandler;
import dev.hybridonboarding.log.StructuredLog;
import dev.hybridonboarding.rotation.SharedActivation;
import dev.hybridonboarding.token.TokenIssuer;
import java.io.OutputStream;
import java.io.PrintStream;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The enrollment handler's own cost on a warm invocation, AWS round trips excluded: request parsing, token
 * authentication, the enrollment decision, sealing the code for retries, building the records, the
 * structured log lines (serialized, then discarded) and the JSON response.
 *
 * <p>The forked JVMs run with the flags Lambda's java21 runtime uses, C1 only among them, and the template's
 * {@code -XX:+UseSerialGC}: warm code on Lambda is C1 code, and C2 would flatter the result.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(
        value = 3,
        jvmArgsAppend = {
            "-XX:+TieredCompilation",
            "-XX:TieredStopAtLevel=1",
            "-XX:-UsePerfData",
            "-Xshare:auto",
            "-Xmx870m",
            "-XX:MaxMetaspaceSize=256m",
            "-XX:+UseSerialGC"
        })
@State(Scope.Benchmark)
public class EnrollmentHandlerBenchmark {

    private static final String EVENT = "enrollment-request.json";
    private static final String INSTANCE_ROLE = "hybrid-onboarding-ManagedInstanceRole-BENCH";
    private static final String SHARED_FLEET = "sharedbench";

    private EnrollmentHandler handler;
    private APIGatewayProxyRequestEvent singleUseEvent;
    private APIGatewayProxyRequestEvent sharedEvent;

    @Setup
    public void setUp() {
        SecureRandom random = new SecureRandom();
        Instant now = Instant.now();
        // The default fleet exactly as the template declares it (single-use, no tags).
        Fleet templateFleet = FleetDefaults.fromSettings(Map.of(
                FleetDefaults.NAME, "default",
                FleetDefaults.MODE, "single-use",
                FleetDefaults.INSTANCE_ROLE, INSTANCE_ROLE,
                FleetDefaults.REGISTRATION_LIMIT, "100"));
        Fleet sharedFleet = Fleet.withDefaults(SHARED_FLEET, FleetMode.SHARED, INSTANCE_ROLE)
                .withVersion(1);

        TokenIssuer issuer = new TokenIssuer(random);
        TokenIssuer.Issued singleUseToken =
                issuer.issue(templateFleet.name(), 100_000, Duration.ofDays(1), List.of(), "bench", now);
        TokenIssuer.Issued sharedToken =
                issuer.issue(SHARED_FLEET, 100_000, Duration.ofDays(1), List.of(), "bench", now);
        InMemoryPorts.PlainVault vault = new InMemoryPorts.PlainVault();
        SharedActivation sharedActivation = new SharedActivation(
                InMemoryPorts.FixedActivations.ACTIVATION_ID,
                vault.seal(
                        InMemoryPorts.FixedActivations.CODE,
                        SHARED_FLEET,
                        InMemoryPorts.FixedActivations.ACTIVATION_ID),
                now.plus(Duration.ofDays(7)),
                100,
                0,
                now);

        InMemoryPorts.Store store = new InMemoryPorts.Store(Map.of(
                singleUseToken.token().tokenId(),
                        new EnrollmentSnapshot(
                                Optional.of(singleUseToken.token()),
                                Optional.empty(),
                                Optional.empty(),
                                Optional.empty(),
                                0,
                                0),
                sharedToken.token().tokenId(),
                        new EnrollmentSnapshot(
                                Optional.of(sharedToken.token()),
                                Optional.of(sharedFleet),
                                Optional.of(sharedActivation),
                                Optional.empty(),
                                0,
                                0)));
        StructuredLog log = new StructuredLog(new PrintStream(OutputStream.nullOutputStream()));
        // As EnrollmentEnvironment builds it, with the ports in memory; the caching vault is the product's own.
        EnrollmentService service = new EnrollmentService(
                new EnrollmentService.Ports(
                        store,
                        new InMemoryPorts.NoInstallations(),
                        new InMemoryPorts.FixedActivations(),
                        new CachingCodeVault(vault)),
                new EnrollmentService.Settings(
                        templateFleet, new ActivationOwner("bench"), "us-east-1", FailurePolicy.DEFAULT),
                Clock.systemUTC(),
                random,
                log);
        // Lambda builds the handler once per execution environment and reuses it on every warm invocation.
        handler = new EnrollmentHandler(service, log);

        singleUseEvent = event(singleUseToken.bearer().reveal());
        sharedEvent = event(sharedToken.bearer().reveal());
        requireCreated(singleUseEnrollment(), "single-use");
        requireCreated(sharedEnrollment(), "shared");
    }

    /** A new machine joins the default (single-use) fleet: CreateActivation and a commit, both in memory. */
    @Benchmark
    public APIGatewayProxyResponseEvent singleUseEnrollment() {
        return handler.handleRequest(singleUseEvent, null);
    }

    /** A new machine joins a shared fleet whose current activation has room: a commit, in memory. */
    @Benchmark
    public APIGatewayProxyResponseEvent sharedEnrollment() {
        return handler.handleRequest(sharedEvent, null);
    }

    private static APIGatewayProxyRequestEvent event(String token) {
        APIGatewayProxyRequestEvent event = EventLoader.loadApiGatewayRestEvent(EVENT);
        Map<String, String> headers = new HashMap<>(event.getHeaders());
        headers.put("Authorization", "Bearer " + token);
        event.setHeaders(headers);
        return event;
    }

    /** Fails the run before measuring if the fixture took a refusal path instead of the one it names. */
    private static void requireCreated(APIGatewayProxyResponseEvent response, String path) {
        if (response.getStatusCode() != 201) {
            throw new IllegalStateException(
                    "the " + path + " enrollment answered " + response.getStatusCode() + ", not 201");
        }
    }
}
