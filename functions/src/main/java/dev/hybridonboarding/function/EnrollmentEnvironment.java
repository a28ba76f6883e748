package dev.hybridonboarding.aws;

import dev.hybridonboarding.activation.CachingCodeVault;
import dev.hybridonboarding.enrollment.EnrollmentService;
import dev.hybridonboarding.enrollment.FailurePolicy;
import dev.hybridonboarding.fleet.FleetDefaults;
import dev.hybridonboarding.log.StructuredLog;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;

/** Builds the enrollment function's core and adapters once per container, from the function's environment. */
public final class EnrollmentWiring {

    public static final String TABLE_NAME = "TABLE_NAME";
    public static final String CODE_KEY_ID = "CODE_KEY_ID";
    public static final String FAILURE_WINDOW = "FAILURE_WINDOW";
    public static final String SOURCE_FAILURE_LIMIT = "SOURCE_FAILURE_LIMIT";
    public static final String TOKEN_FAILURE_LIMIT = "TOKEN_FAILURE_LIMIT";

    private EnrollmentWiring() {
    }

    public static EnrollmentService fromEnvironment() {
        Map<String, String> env = System.getenv();
        AwsClients clients = AwsClients.forLambda();
        return new EnrollmentService(
                new DynamoEnrollmentStore(clients.dynamoDb(), required(env, TABLE_NAME)),
                new SsmActivations(clients::ssm),
                new CachingCodeVault(new KmsCodeVault(clients::kms, required(env, CODE_KEY_ID))),
                FleetDefaults.fromSettings(env),
                clients.region().id(),
                failurePolicy(env),
                Clock.systemUTC(),
                new SecureRandom(),
                StructuredLog.stdout());
    }

    static FailurePolicy failurePolicy(Map<String, String> env) {
        FailurePolicy defaults = FailurePolicy.DEFAULT;
        return new FailurePolicy(
                env.containsKey(FAILURE_WINDOW) ? FleetDefaults.parseDuration(FAILURE_WINDOW, env.get(FAILURE_WINDOW)) : defaults.window(),
                env.containsKey(SOURCE_FAILURE_LIMIT) ? Integer.parseInt(env.get(SOURCE_FAILURE_LIMIT)) : defaults.sourceLimit(),
                env.containsKey(TOKEN_FAILURE_LIMIT) ? Integer.parseInt(env.get(TOKEN_FAILURE_LIMIT)) : defaults.tokenLimit());
    }

    private static String required(Map<String, String> env, String name) {
        String value = env.get(name);
        if (value == null || value.isBlank()) {
            throw new IllegalStateException("environment variable " + name + " is missing");
        }
        return value;
    }
}
