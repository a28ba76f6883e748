package dev.hybridonboarding.function;

import dev.hybridonboarding.activation.ActivationOwner;
import dev.hybridonboarding.activation.CachingCodeVault;
import dev.hybridonboarding.aws.AwsClients;
import dev.hybridonboarding.aws.DynamoCalls;
import dev.hybridonboarding.aws.DynamoEnrollmentStore;
import dev.hybridonboarding.aws.DynamoSharedActivationStore;
import dev.hybridonboarding.aws.KmsCodeVault;
import dev.hybridonboarding.aws.Lazy;
import dev.hybridonboarding.aws.SsmActivations;
import dev.hybridonboarding.enrollment.EnrollmentService;
import dev.hybridonboarding.enrollment.FailurePolicy;
import dev.hybridonboarding.fleet.Fleet;
import dev.hybridonboarding.fleet.FleetDefaults;
import dev.hybridonboarding.log.StructuredLog;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Map;
import java.util.function.Supplier;
import org.crac.Context;
import org.crac.Core;
import org.crac.Resource;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.ssm.SsmClient;

/**
 * The enrollment function in one execution environment: its SDK clients, built once, and the core on top of them.
 *
 * <p>With SnapStart, Lambda snapshots the environment after init and restores copies of it. Before the snapshot
 * ({@link #beforeCheckpoint}) the function's hot path runs once against canned answers, so that the restored
 * environments start with it loaded; after each restore ({@link #afterRestore}) what must be unique or fresh per
 * environment is made anew: the random source, the HTTP connections, the cached credentials and decrypted codes.
 */
public final class EnrollmentEnvironment implements Resource {

    static final String TABLE_NAME = "TABLE_NAME";
    static final String CODE_KEY_ID = "CODE_KEY_ID";
    static final String FAILURE_WINDOW = "FAILURE_WINDOW";
    static final String SOURCE_FAILURE_LIMIT = "SOURCE_FAILURE_LIMIT";
    static final String TOKEN_FAILURE_LIMIT = "TOKEN_FAILURE_LIMIT";
    static final String STACK_ID = "STACK_ID";

    private final Map<String, String> settings;
    private final AwsClients clients;
    private final DynamoDbClient dynamo;
    private final Supplier<SsmClient> ssm;
    private final Supplier<KmsClient> kms;
    private final Fleet templateFleet;
    private final FailurePolicy failurePolicy;
    private final ActivationOwner owner;
    private volatile SecureRandom random;
    private volatile EnrollmentService service;

    public EnrollmentEnvironment(Map<String, String> settings, AwsClients clients) {
        this.settings = Map.copyOf(settings);
        this.clients = clients;
        this.dynamo = clients.dynamoDb();
        // Built on first use: requests refused before an activation is needed never pay for them, unless priming
        // built them into the snapshot already.
        this.ssm = Lazy.of(clients::ssm);
        this.kms = Lazy.of(clients::kms);
        this.templateFleet = FleetDefaults.fromSettings(settings);
        this.failurePolicy = failurePolicy(settings);
        this.owner = new ActivationOwner(required(STACK_ID));
        this.random = new SecureRandom();
        this.service = service(random, StructuredLog.stdout());
    }

    /** The environment Lambda runs the handler in, registered for SnapStart's checkpoint and restore. */
    static EnrollmentEnvironment forLambda() {
        EnrollmentEnvironment environment = new EnrollmentEnvironment(System.getenv(), AwsClients.forLambda());
        Core.getGlobalContext().register(environment);
        return environment;
    }

    public EnrollmentService service() {
        return service;
    }

    /** A core on this environment's clients; priming builds its own, so that nothing it leaves behind is kept. */
    EnrollmentService service(SecureRandom randomSource, StructuredLog log) {
        DynamoCalls table = new DynamoCalls(dynamo, required(TABLE_NAME));
        EnrollmentService.Ports ports = new EnrollmentService.Ports(
                new DynamoEnrollmentStore(table),
                new DynamoSharedActivationStore(table),
                new SsmActivations(ssm),
                new CachingCodeVault(new KmsCodeVault(kms, required(CODE_KEY_ID))));
        return new EnrollmentService(
                ports,
                new EnrollmentService.Settings(
                        templateFleet, owner, clients.region().id(), failurePolicy),
                Clock.systemUTC(),
                randomSource,
                log);
    }

    @Override
    public void beforeCheckpoint(Context<? extends Resource> context) {
        new EnrollmentPriming(this, clients, required(TABLE_NAME), required(CODE_KEY_ID)).run();
    }

    @Override
    public void afterRestore(Context<? extends Resource> context) {
        clients.renew();
        random = new SecureRandom();
        service = service(random, StructuredLog.stdout());
    }

    /** What must differ between restored environments; for tests of the hooks. */
    SecureRandom random() {
        return random;
    }

    AwsClients clients() {
        return clients;
    }

    private static FailurePolicy failurePolicy(Map<String, String> env) {
        FailurePolicy defaults = FailurePolicy.DEFAULT;
        return new FailurePolicy(
                env.containsKey(FAILURE_WINDOW)
                        ? FleetDefaults.parseDuration(FAILURE_WINDOW, env.get(FAILURE_WINDOW))
                        : defaults.window(),
                env.containsKey(SOURCE_FAILURE_LIMIT)
                        ? Integer.parseInt(env.get(SOURCE_FAILURE_LIMIT))
                        : defaults.sourceLimit(),
                env.containsKey(TOKEN_FAILURE_LIMIT)
                        ? Integer.parseInt(env.get(TOKEN_FAILURE_LIMIT))
                        : defaults.tokenLimit());
    }

    private String required(String name) {
        String value = settings.get(name);
        if (value == null || value.isBlank()) {
            throw new IllegalStateException("environment variable " + name + " is missing");
        }
        return value;
    }
}
