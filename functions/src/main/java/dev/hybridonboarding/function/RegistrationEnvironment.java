package dev.hybridonboarding.function;

import dev.hybridonboarding.aws.AwsClients;
import dev.hybridonboarding.aws.DynamoCalls;
import dev.hybridonboarding.aws.DynamoRegistrationStore;
import dev.hybridonboarding.aws.SnsNotifier;
import dev.hybridonboarding.aws.SqsRegistrationQueue;
import dev.hybridonboarding.aws.SsmManagedInstances;
import dev.hybridonboarding.log.StructuredLog;
import dev.hybridonboarding.registration.RegistrationSettings;
import dev.hybridonboarding.registration.Registrations;
import dev.hybridonboarding.support.Pacer;
import java.time.Clock;
import java.util.Map;

/** Builds the registration function's core and adapters once per container, from the function's environment. */
final class RegistrationEnvironment {

    static final String TABLE_NAME = "TABLE_NAME";
    static final String TOPIC_ARN = "TOPIC_ARN";
    static final String QUEUE_URL = "REGISTRATION_QUEUE_URL";

    final Registrations registrations;
    final SqsRegistrationQueue queue;

    RegistrationEnvironment(Map<String, String> env, AwsClients clients) {
        RegistrationSettings settings = RegistrationSettings.fromEnvironment(env);
        DynamoRegistrationStore store =
                new DynamoRegistrationStore(new DynamoCalls(clients.dynamoDb(), required(env, TABLE_NAME)));
        this.queue = new SqsRegistrationQueue(clients::sqs, required(env, QUEUE_URL));
        Registrations.Ports ports = new Registrations.Ports(
                new SsmManagedInstances(clients.repeatableSsm(), Pacer.realTime(settings.ssmCallsPerSecond())),
                store,
                store,
                queue,
                new SnsNotifier(clients::sns, required(env, TOPIC_ARN)));
        this.registrations = new Registrations(ports, settings, Clock.systemUTC(), StructuredLog.stdout());
    }

    static RegistrationEnvironment forLambda() {
        return new RegistrationEnvironment(System.getenv(), AwsClients.forLambda());
    }

    private static String required(Map<String, String> env, String name) {
        String value = env.get(name);
        if (value == null || value.isBlank()) {
            throw new IllegalStateException("environment variable " + name + " is missing");
        }
        return value;
    }
}
