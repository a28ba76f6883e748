package dev.hybridonboarding.aws;

import java.net.URI;
import java.time.Duration;
import java.util.Optional;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.EnvironmentVariableCredentialsProvider;
import software.amazon.awssdk.awscore.client.builder.AwsSyncClientBuilder;
import software.amazon.awssdk.awscore.client.builder.AwsClientBuilder;
import software.amazon.awssdk.core.retry.RetryMode;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.ssm.SsmClient;

/**
 * Builds SDK clients the way a cold start wants them: region, credentials and one JDK-based HTTP client set
 * explicitly, so the SDK does not probe the environment or load a second HTTP stack.
 *
 * <p>An endpoint override (for the local stack) comes from {@code AWS_ENDPOINT_URL}, which the SDK reads
 * itself, or from the admin CLI's {@code --endpoint-url}.
 */
public final class AwsClients {

    private static final Duration API_CALL_TIMEOUT = Duration.ofSeconds(6);

    private final Region region;
    private final AwsCredentialsProvider credentials;
    private final Optional<URI> endpoint;
    private final SdkHttpClient http;

    public AwsClients(Region region, AwsCredentialsProvider credentials, Optional<URI> endpoint) {
        this.region = region;
        this.credentials = credentials;
        this.endpoint = endpoint;
        this.http = UrlConnectionHttpClient.builder()
                .connectionTimeout(Duration.ofSeconds(2))
                .socketTimeout(Duration.ofSeconds(5))
                .build();
    }

    /** The clients of a Lambda function: Lambda puts the region and the role's credentials in the environment. */
    public static AwsClients forLambda() {
        return new AwsClients(Region.of(System.getenv("AWS_REGION")), EnvironmentVariableCredentialsProvider.create(), Optional.empty());
    }

    public Region region() {
        return region;
    }

    public SsmClient ssm() {
        return configure(SsmClient.builder()).build();
    }

    public DynamoDbClient dynamoDb() {
        return configure(DynamoDbClient.builder()).build();
    }

    public KmsClient kms() {
        return configure(KmsClient.builder()).build();
    }

    /** Applies this region, credentials, HTTP client and endpoint to any service's client builder. */
    public <B extends AwsClientBuilder<B, ?> & AwsSyncClientBuilder<B, ?>> B configure(B builder) {
        builder.region(region)
                .credentialsProvider(credentials)
                .httpClient(http)
                // Standard mode: at most three attempts with backoff, so a throttled boot storm does not multiply
                // its load and a machine hears "try again" (503) within the API call timeout.
                .overrideConfiguration(c -> c.apiCallTimeout(API_CALL_TIMEOUT).retryStrategy(RetryMode.STANDARD));
        endpoint.ifPresent(builder::endpointOverride);
        return builder;
    }
}
