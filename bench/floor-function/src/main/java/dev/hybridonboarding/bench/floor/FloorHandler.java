package dev.hybridonboarding.bench.floor;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyRequestEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyResponseEvent;
import java.time.Duration;
import java.util.Map;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProviderChain;
import software.amazon.awssdk.auth.credentials.ContainerCredentialsProvider;
import software.amazon.awssdk.auth.credentials.EnvironmentVariableCredentialsProvider;
import software.amazon.awssdk.core.retry.RetryMode;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;

/**
 * The cold-start floor: a REST API (Lambda proxy) handler that makes exactly one SDK call, a consistent DynamoDB GetItem on
 * the stack's table, and answers with a small JSON body.
 *
 * <p>The client is built as the product's {@code AwsClients} builds its clients (explicit region, environment
 * or SnapStart container credentials, the URLConnection HTTP client, the same timeouts and retries), and like
 * the product's it is built in the constructor, during the function's init phase. Anything the real function
 * costs beyond this is the product's own code and its other service clients.
 */
public final class FloorHandler implements RequestHandler<APIGatewayProxyRequestEvent, APIGatewayProxyResponseEvent> {

    // A key that never exists: the floor pays for the round trip and the (empty) answer, nothing else.
    private static final Map<String, AttributeValue> KEY = Map.of(
            "pk", AttributeValue.fromS("bench#floor"),
            "sk", AttributeValue.fromS("bench#floor"));

    private final DynamoDbClient dynamo;
    private final String table;

    public FloorHandler() {
        this.dynamo = DynamoDbClient.builder()
                .region(Region.of(System.getenv("AWS_REGION")))
                .credentialsProvider(AwsCredentialsProviderChain.builder()
                        .credentialsProviders(
                                EnvironmentVariableCredentialsProvider.create(),
                                ContainerCredentialsProvider.builder().build())
                        .build())
                .httpClient(UrlConnectionHttpClient.builder()
                        .connectionTimeout(Duration.ofSeconds(1))
                        .socketTimeout(Duration.ofSeconds(2))
                        .build())
                .overrideConfiguration(c -> c.apiCallTimeout(Duration.ofSeconds(4))
                        .apiCallAttemptTimeout(Duration.ofSeconds(2))
                        .retryStrategy(RetryMode.STANDARD))
                .build();
        this.table = System.getenv("TABLE_NAME");
    }

    @Override
    public APIGatewayProxyResponseEvent handleRequest(APIGatewayProxyRequestEvent event, Context context) {
        boolean found = dynamo.getItem(
                        request -> request.tableName(table).key(KEY).consistentRead(true))
                .hasItem();
        return new APIGatewayProxyResponseEvent()
                .withStatusCode(200)
                .withHeaders(Map.of("Content-Type", "application/json"))
                .withBody("{\"found\":" + found + "}");
    }
}
