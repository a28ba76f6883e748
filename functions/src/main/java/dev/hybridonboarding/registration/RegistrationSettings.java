package dev.hybridonboarding.registration;

import dev.hybridonboarding.activation.ActivationOwner;
import dev.hybridonboarding.fleet.FleetDefaults;
import java.time.Duration;
import java.util.Map;

/**
 * How this deployment handles registrations.
 *
 * @param region             the Region, for links to the console
 * @param templateFleet      the name of the template's default fleet, which may not be stored
 * @param reportWait         how long after a registration to wait for the agent's first report (computer name, address,
 *                           platform) before matching without it
 * @param deregisterUnmanaged whether instances registered with activations this deployment did not issue are
 *                           deregistered, besides being tagged and announced
 * @param maxReceives        receives of a message before the queue moves it to the dead-letter queue: the last one
 *                           must settle it
 * @param sweepLookback      how long after its expiry an activation's registrations are still swept for
 * @param ssmCallsPerSecond  SSM calls per second of one execution environment
 */
public record RegistrationSettings(
        ActivationOwner owner,
        String region,
        String templateFleet,
        Duration reportWait,
        DigestPolicy digest,
        boolean deregisterUnmanaged,
        int maxReceives,
        Duration sweepLookback,
        double ssmCallsPerSecond) {

    public static final String STACK_ID = "STACK_ID";
    public static final String REPORT_WAIT = "REPORT_WAIT";
    public static final String DIGEST_THRESHOLD = "DIGEST_THRESHOLD";
    public static final String DIGEST_WINDOW = "DIGEST_WINDOW";
    public static final String DEREGISTER_UNMANAGED = "DEREGISTER_UNMANAGED";
    public static final String MAX_RECEIVE_COUNT = "MAX_RECEIVE_COUNT";
    public static final String SSM_CALLS_PER_SECOND = "SSM_CALLS_PER_SECOND";
    public static final String MAX_CONCURRENCY = "MAX_CONCURRENCY";
    /** Single-use activations live an hour by default; a day after expiry no registration with one is still on its way. */
    static final Duration SWEEP_LOOKBACK = Duration.ofDays(1);

    public RegistrationSettings {
        if (maxReceives < 2) {
            throw new IllegalArgumentException("the queue must deliver a message at least twice");
        }
        if (!(ssmCallsPerSecond > 0)) {
            throw new IllegalArgumentException("SSM calls per second must be positive");
        }
    }

    /**
     * The settings the template gives the registration function: those above, {@code DEFAULT_FLEET_NAME} and
     * {@code AWS_REGION}. The SSM rate is the deployment's; each of the {@code MAX_CONCURRENCY} environments takes its share.
     */
    public static RegistrationSettings fromEnvironment(Map<String, String> env) {
        double perEnvironment = Double.parseDouble(required(env, SSM_CALLS_PER_SECOND))
                / Integer.parseInt(required(env, MAX_CONCURRENCY));
        return new RegistrationSettings(
                new ActivationOwner(required(env, STACK_ID)),
                required(env, "AWS_REGION"),
                required(env, FleetDefaults.NAME),
                FleetDefaults.parseDuration(REPORT_WAIT, required(env, REPORT_WAIT)),
                new DigestPolicy(
                        Integer.parseInt(required(env, DIGEST_THRESHOLD)),
                        FleetDefaults.parseDuration(DIGEST_WINDOW, required(env, DIGEST_WINDOW))),
                Boolean.parseBoolean(required(env, DEREGISTER_UNMANAGED)),
                Integer.parseInt(required(env, MAX_RECEIVE_COUNT)),
                SWEEP_LOOKBACK,
                perEnvironment);
    }

    private static String required(Map<String, String> env, String name) {
        String value = env.get(name);
        if (value == null || value.isBlank()) {
            throw new IllegalStateException("setting " + name + " is missing");
        }
        return value.trim();
    }
}
