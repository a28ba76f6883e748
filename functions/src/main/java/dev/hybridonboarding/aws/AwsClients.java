package dev.hybridonboarding.aws;

import java.net.URI;
import java.time.Duration;
import java.util.Optional;
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
    private static final Duration ATTEMPT_TIMEOUT = Duration.ofSeconds(2);

    private final Region region;
    private final AwsCredentialsProvider credentials;
    private final Optional<URI> endpoint;
    private final SdkHttpClient http;

    public AwsClients(Region region, AwsCredentialsProvider credentials, Optional<URI> endpoint) {
        this.region = region;
        this.credentials = credentials;
        this.endpoint = endpoint;
        this.http = UrlConnectionHttpClient.builder()
                .connectionTimeout(Duration.ofSeconds(1))
                .socketTimeout(ATTEMPT_TIMEOUT)
                .build();
    }

    /**
     * The clients of a Lambda function. Lambda puts the role's credentials in the environment, except for
     * SnapStart functions, which get them from a local endpoint named by {@code AWS_CONTAINER_CREDENTIALS_FULL_URI}.
     */
    public static AwsClients forLambda() {
        AwsCredentialsProvider credentials = AwsCredentialsProviderChain.builder()
                .credentialsProviders(EnvironmentVariableCredentialsProvider.create(), ContainerCredentialsProvider.builder().build())
                .build();
        return new AwsClients(Region.of(System.getenv("AWS_REGION")), credentials, Optional.empty());
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
                .retryOnException(error -> error instanceof AwsServiceException service && service.isThrottlingException())
                .treatAsThrottling(error -> error instanceof AwsServiceException service && service.isThrottlingException())
                .useClientDefaults(false)
                .build();
        return configure(SsmClient.builder(), throttlingOnly).build();
    }

    public DynamoDbClient dynamoDb() {
        return configure(DynamoDbClient.builder()).build();
    }

    public KmsClient kms() {
        return configure(KmsClient.builder()).build();
    }

    /**
     * Applies this region, credentials, HTTP client and endpoint to any service's client builder, with the
     * standard retry strategy: at most three attempts with backoff, so a throttled boot storm does not multiply
     * its load.
     */
    public <B extends AwsClientBuilder<B, ?> & AwsSyncClientBuilder<B, ?>> B configure(B builder) {
        return configure(builder, AwsRetryStrategy.standardRetryStrategy());
    }

    private <B extends AwsClientBuilder<B, ?> & AwsSyncClientBuilder<B, ?>> B configure(B builder, RetryStrategy retries) {
        builder.region(region)
                .credentialsProvider(credentials)
                .httpClient(http)
                .overrideConfiguration(c -> c.apiCallTimeout(API_CALL_TIMEOUT).apiCallAttemptTimeout(ATTEMPT_TIMEOUT).retryStrategy(retries));
        endpoint.ifPresent(builder::endpointOverride);
        return builder;
    }
}
