package dev.hybridonboarding.function;

import dev.hybridonboarding.aws.AwsClients;
import dev.hybridonboarding.aws.DynamoCalls;
import dev.hybridonboarding.aws.DynamoRotationStore;
import dev.hybridonboarding.aws.DynamoSharedActivationStore;
import dev.hybridonboarding.aws.KmsCodeVault;
import dev.hybridonboarding.aws.SnsNotifier;
import dev.hybridonboarding.aws.SsmActivationInventory;
import dev.hybridonboarding.aws.SsmActivations;
import dev.hybridonboarding.log.StructuredLog;
import dev.hybridonboarding.rotation.Rotation;
import dev.hybridonboarding.support.Pacer;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.Map;
import software.amazon.awssdk.services.ssm.SsmClient;

/** Builds the rotation function's core and adapters once per container, from the function's environment. */
final class RotationEnvironment {

    static final String TABLE_NAME = "TABLE_NAME";
    static final String CODE_KEY_ID = "CODE_KEY_ID";
    static final String TOPIC_ARN = "TOPIC_ARN";

    private RotationEnvironment() {}

    static Rotation rotation(Map<String, String> env, AwsClients clients) {
        DynamoCalls table = new DynamoCalls(clients.dynamoDb(), required(env, TABLE_NAME));
        SsmClient ssm = clients.ssm();
        Rotation.Ports ports = new Rotation.Ports(
                new DynamoRotationStore(table),
                new DynamoSharedActivationStore(table),
                new SsmActivations(() -> ssm),
                new SsmActivationInventory(ssm),
                new KmsCodeVault(clients::kms, required(env, CODE_KEY_ID)),
                new SnsNotifier(clients::sns, required(env, TOPIC_ARN)));
        Rotation.Settings settings = Rotation.Settings.fromSettings(env);
        return new Rotation(
                ports,
                settings,
                Pacer.realTime(settings.ssmPace()),
                Clock.systemUTC(),
                new SecureRandom(),
                StructuredLog.stdout());
    }

    private static String required(Map<String, String> env, String name) {
        String value = env.get(name);
        if (value == null || value.isBlank()) {
            throw new IllegalStateException("environment variable " + name + " is missing");
        }
        return value;
    }
}
