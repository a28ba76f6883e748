package dev.hybridonboarding.aws;

import java.net.URI;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Supplier;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProviderChain;
import software.amazon.awssdk.auth.credentials.ContainerCredentialsProvider;
import software.amazon.awssdk.auth.credentials.EnvironmentVariableCredentialsProvider;
import software.amazon.awssdk.awscore.client.builder.AwsClientBuilder;
import software.amazon.awssdk.awscore.client.builder.AwsSyncClientBuilder;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.retries.StandardRetryStrategy;
import software.amazon.awssdk.retries.api.RetryStrategy;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.sns.SnsClient;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.ssm.SsmClient;

/**
 * Builds SDK clients the way a cold start wants them: region, credentials and one JDK-based HTTP client set
 * explicitly, so the SDK does not probe the environment or load a second HTTP stack.
 *
 * <p>The timeouts keep a whole enrollment (read, CreateActivation, commit, and the clean-up of a lost race) well
 * inside the function's timeout, so a machine hears "try again" instead of a bare timeout. An endpoint override
 * (for the local stack) comes from {@code AWS_ENDPOINT_URL}, which the SDK reads itself, or from the admin
 * CLI's {@code --endpoint-url}.
 */
public final class AwsClients {

    static final Duration API_CALL_TIMEOUT = Duration.ofSeconds(4);
    private static final Duration REPEATABLE_CALL_TIMEOUT = Duration.ofSeconds(15);
    private static final Duration ATTEMPT_TIMEOUT = Duration.ofSeconds(2);

    /**
     * How long one call may take. A function answers a machine within its budget; someone at a terminal (or a test
     * checking what the functions did) would rather wait for a slow answer than retry by hand.
     */
    public record Patience(Duration apiCall, Duration attempt) {
        public static final Patience FUNCTION = new Patience(API_CALL_TIMEOUT, ATTEMPT_TIMEOUT);
        public static final Patience OPERATOR = new Patience(Duration.ofSeconds(90), Duration.ofSeconds(30));
    }

    private final Patience patience;

    private final Region region;
    private final Switchable.Credentials credentials;
    private final Supplier<AwsCredentialsProvider> freshCredentials;
    private final Optional<URI> endpoint;
    private final Switchable.Http http;

    public AwsClients(Region region, AwsCredentialsProvider credentials, Optional<URI> endpoint) {
        this(region, () -> credentials, endpoint);
    }

    /** @param freshCredentials makes the credentials provider, again after every {@link #renew()} */
    public AwsClients(Region region, Supplier<AwsCredentialsProvider> freshCredentials, Optional<URI> endpoint) {
        this(region, freshCredentials, endpoint, Patience.FUNCTION);
    }

    public AwsClients(
            Region region,
            Supplier<AwsCredentialsProvider> freshCredentials,
            Optional<URI> endpoint,
            Patience patience) {
        this.patience = patience;
        this.region = region;
        this.freshCredentials = freshCredentials;
        this.credentials = new Switchable.Credentials(freshCredentials.get());
        this.endpoint = endpoint;
        this.http = new Switchable.Http(newHttpClient());
    }

    /**
     * The clients of a Lambda function. Lambda puts the role's credentials in the environment, except for
     * SnapStart functions, which get them from a local endpoint named by {@code AWS_CONTAINER_CREDENTIALS_FULL_URI}.
     */
    public static AwsClients forLambda() {
        return new AwsClients(
                Region.of(System.getenv("AWS_REGION")),
                () -> AwsCredentialsProviderChain.builder()
                        .credentialsProviders(
                                EnvironmentVariableCredentialsProvider.create(),
                                ContainerCredentialsProvider.builder().build())
                        .build(),
                Optional.empty());
    }

    private SdkHttpClient newHttpClient() {
        return UrlConnectionHttpClient.builder()
                .connectionTimeout(Duration.ofSeconds(1))
                .socketTimeout(patience.attempt())
                .build();
    }

    /**
     * Every client built here sends through {@code canned} and signs with {@code cannedCredentials} until
     * {@link #renew()}: how priming runs the real SDK clients' whole request path without a network call.
     */
    public void answerFrom(SdkHttpClient canned, AwsCredentialsProvider cannedCredentials) {
        http.replace(canned);
        credentials.replace(cannedCredentials);
    }

    /**
     * A new HTTP client and a new credentials provider behind every client built here: after a SnapStart restore,
     * no connection or cached credentials of the snapshot may be shared by the environments restored from it.
     */
    public void renew() {
        http.replace(newHttpClient());
        credentials.replace(freshCredentials.get());
    }

    /** What the clients send through now; for tests of the SnapStart hooks. */
    public SdkHttpClient currentHttpClient() {
        return http.delegate();
    }

    /** What the clients sign with now; for tests of the SnapStart hooks. */
    public AwsCredentialsProvider currentCredentials() {
        return credentials.delegate();
    }

    public Region region() {
        return region;
    }

    /**
     * SSM retries only throttling: a CreateActivation that timed out may have created an activation, and sending
     * it again would leave a second one that nothing records.
     */
    public SsmClient ssm() {
        RetryStrategy throttlingOnly = StandardRetryStrategy.builder()
                .maxAttempts(3)
                .retryOnException(
                        error -> error instanceof AwsServiceException service && service.isThrottlingException())
                .treatAsThrottling(
                        error -> error instanceof AwsServiceException service && service.isThrottlingException())
                .useClientDefaults(false)
                .build();
        return configure(SsmClient.builder(), throttlingOnly).build();
    }

    /**
     * SSM for calls that may be repeated as they are (lookups, tagging, deregistering): throttling, {@code TooManyUpdates}
     * and server errors are retried up to five attempts, and the adaptive strategy slows the client down while SSM
     * throttles, which may hold a call back for a while: its budget is longer.
     */
    public SsmClient repeatableSsm() {
        RetryStrategy adaptive = AwsRetryStrategy.adaptiveRetryStrategy().toBuilder()
                .maxAttempts(5)
                .retryOnException(AwsClients::tooManyUpdates)
                .treatAsThrottling(error -> tooManyUpdates(error)
                        || error instanceof AwsServiceException service && service.isThrottlingException())
                .build();
        return configure(SsmClient.builder(), adaptive)
                .overrideConfiguration(c -> c.apiCallTimeout(
                                patience.apiCall().compareTo(REPEATABLE_CALL_TIMEOUT) > 0
                                        ? patience.apiCall()
                                        : REPEATABLE_CALL_TIMEOUT)
                        .apiCallAttemptTimeout(patience.attempt())
                        .retryStrategy(adaptive))
                .build();
    }

    public SqsClient sqs() {
        return configure(SqsClient.builder()).build();
    }

    private static boolean tooManyUpdates(Throwable error) {
        return error instanceof AwsServiceException service
                && service.awsErrorDetails() != null
                && "TooManyUpdates".equals(service.awsErrorDetails().errorCode());
    }

    public DynamoDbClient dynamoDb() {
        return configure(DynamoDbClient.builder()).build();
    }

    public KmsClient kms() {
        return configure(KmsClient.builder()).build();
    }

    public SnsClient sns() {
        return configure(SnsClient.builder()).build();
    }

    /**
     * Applies this region, credentials, HTTP client and endpoint to any service's client builder, with the
     * standard retry strategy: at most three attempts with backoff, so a throttled boot storm does not multiply
     * its load.
     */
    public <B extends AwsClientBuilder<B, ?> & AwsSyncClientBuilder<B, ?>> B configure(B builder) {
        return configure(builder, AwsRetryStrategy.standardRetryStrategy());
    }

    private <B extends AwsClientBuilder<B, ?> & AwsSyncClientBuilder<B, ?>> B configure(
            B builder, RetryStrategy retries) {
        builder.region(region)
                .credentialsProvider(credentials)
                .httpClient(http)
                .overrideConfiguration(c -> c.apiCallTimeout(patience.apiCall())
                        .apiCallAttemptTimeout(patience.attempt())
                        .retryStrategy(retries));
        endpoint.ifPresent(builder::endpointOverride);
        return builder;
    }
}
