package dev.hybridonboarding.function;

import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyRequestEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyResponseEvent;
import dev.hybridonboarding.activation.ActivationCode;
import dev.hybridonboarding.aws.AwsClients;
import dev.hybridonboarding.aws.CannedAnswers;
import dev.hybridonboarding.aws.CannedHttpClient;
import dev.hybridonboarding.enrollment.EnrollmentRequest;
import dev.hybridonboarding.enrollment.Platform;
import dev.hybridonboarding.enrollment.RetryRecord;
import dev.hybridonboarding.enrollment.TokenBoundSeal;
import dev.hybridonboarding.fleet.Fleet;
import dev.hybridonboarding.fleet.FleetMode;
import dev.hybridonboarding.log.StructuredLog;
import dev.hybridonboarding.rotation.SharedActivation;
import dev.hybridonboarding.token.BearerToken;
import dev.hybridonboarding.token.TokenIssuer;
import dev.hybridonboarding.token.TokenSecret;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

/**
 * Runs the enrollment function's hot path before a SnapStart snapshot: request parsing, token authentication,
 * the seal of a retry record, the SDK's marshalling, signing and unmarshalling of every call an enrollment makes
 * (BatchGetItem, CreateActivation, TransactWriteItems, DescribeActivations, KMS Decrypt, UpdateItem), and the JSON
 * answers, for a single-use enrollment, a shared one, a retry and a wrong token.
 *
 * <p>Every call is answered by a {@link CannedHttpClient}: no network call is made and nothing is written. It runs
 * on a core of its own, with its own random source and a log that goes nowhere, so that nothing it leaves behind
 * serves a real request.
 *
 * <p>The path runs again, with fresh answers, when an attempt fails: the first attempt loads every class of the path,
 * and on a busy host that alone can outlast the SDK's call timeouts (made for network calls), which a warm attempt
 * does not. Only a path that fails every time fails the checkpoint.
 */
final class EnrollmentPriming {

    private static final String SINGLE_USE_FLEET = "priming-single-use";
    private static final String SHARED_FLEET = "priming-shared";
    private static final String ACTIVATION_ID = "00000000-0000-4000-8000-000000000001";
    private static final ActivationCode CODE = new ActivationCode("PrimingPrimingPrimin");
    private static final String SOURCE_IP = "192.0.2.1";
    private static final String HOSTNAME = "priming-host";
    private static final int ATTEMPTS = 3;

    private final EnrollmentEnvironment environment;
    private final AwsClients clients;
    private final String table;
    private final String codeKeyId;
    private final SecureRandom random = new SecureRandom();
    private final Instant now = Instant.now();
    private final Supplier<CannedHttpClient> answers;

    EnrollmentPriming(EnrollmentEnvironment environment, AwsClients clients, String table, String codeKeyId) {
        this(environment, clients, table, codeKeyId, CannedHttpClient::new);
    }

    /** With the canned clients of each attempt given, for tests of a failed attempt. */
    EnrollmentPriming(
            EnrollmentEnvironment environment,
            AwsClients clients,
            String table,
            String codeKeyId,
            Supplier<CannedHttpClient> answers) {
        this.environment = environment;
        this.clients = clients;
        this.table = table;
        this.codeKeyId = codeKeyId;
        this.answers = answers;
    }

    void run() {
        IllegalStateException failed = null;
        for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
            try {
                attempt(answers.get());
                return;
            } catch (IllegalStateException thisTime) {
                if (failed != null) {
                    thisTime.addSuppressed(failed);
                }
                failed = thisTime;
            }
        }
        throw failed;
    }

    private void attempt(CannedHttpClient canned) {
        clients.answerFrom(
                canned, StaticCredentialsProvider.create(AwsBasicCredentials.create("PRIMING", "priming-secret")));
        StructuredLog nowhere =
                new StructuredLog(new PrintStream(OutputStream.nullOutputStream(), true, StandardCharsets.UTF_8));
        EnrollmentHandler handler = new EnrollmentHandler(environment.service(random, nowhere), nowhere);
        TokenIssuer issuer = new TokenIssuer(random);
        Fleet singleUse = Fleet.withDefaults(SINGLE_USE_FLEET, FleetMode.SINGLE_USE, "priming")
                .withVersion(1);
        Fleet shared =
                Fleet.withDefaults(SHARED_FLEET, FleetMode.SHARED, "priming").withVersion(1);

        TokenIssuer.Issued singleUseToken =
                issuer.issue(SINGLE_USE_FLEET, 10, Duration.ofHours(1), List.of(), "priming", now);
        canned.answer(
                        CannedAnswers.BATCH_GET,
                        CannedAnswers.batchGet(table)
                                .token(singleUseToken.token())
                                .fleet(singleUse, now)
                                .json())
                .answer(CannedAnswers.CREATE_ACTIVATION, CannedAnswers.createdActivation(ACTIVATION_ID, CODE))
                .answer(CannedAnswers.TRANSACT_WRITE, CannedAnswers.nothing());
        expect(
                201,
                handler.handleRequest(event(singleUseToken.bearer().reveal(), "priming-machine"), null),
                "a single-use enrollment");

        String digest =
                new EnrollmentRequest(HOSTNAME, Platform.LINUX, Optional.of("priming-machine"), Map.of()).digest();
        RetryRecord retry = new RetryRecord(
                "priming-machine",
                "enr-priming",
                ACTIVATION_ID,
                new TokenBoundSeal(random)
                        .seal(
                                CODE,
                                singleUseToken.bearer().secret(),
                                RetryRecord.sealBinding(
                                        singleUseToken.token().tokenId(), "priming-machine", ACTIVATION_ID, digest)),
                RetryRecord.CodeSealing.TOKEN,
                now.plus(Duration.ofHours(1)),
                HOSTNAME,
                digest);
        canned.answer(
                        CannedAnswers.BATCH_GET,
                        CannedAnswers.batchGet(table)
                                .token(singleUseToken.token())
                                .fleet(singleUse, now)
                                .retryRecord(singleUseToken.token().tokenId(), retry)
                                .json())
                .answer(
                        CannedAnswers.DESCRIBE_ACTIVATIONS,
                        CannedAnswers.describedActivation(ACTIVATION_ID, 1, now.plus(Duration.ofHours(1))));
        expect(200, handler.handleRequest(event(singleUseToken.bearer().reveal(), "priming-machine"), null), "a retry");

        TokenIssuer.Issued sharedToken = issuer.issue(SHARED_FLEET, 10, Duration.ofHours(1), List.of(), "priming", now);
        SharedActivation current =
                new SharedActivation(ACTIVATION_ID, new byte[] {1, 2, 3}, now.plus(Duration.ofDays(7)), 100, 0, now);
        canned.answer(
                        CannedAnswers.BATCH_GET,
                        CannedAnswers.batchGet(table)
                                .token(sharedToken.token())
                                .fleet(shared, now)
                                .sharedActivation(SHARED_FLEET, current)
                                .json())
                .answer(
                        CannedAnswers.DESCRIBE_ACTIVATIONS,
                        CannedAnswers.describedActivation(ACTIVATION_ID, 100, current.expiresAt()))
                .answer(CannedAnswers.DECRYPT, CannedAnswers.decrypted(CODE, codeKeyId))
                .answer(CannedAnswers.TRANSACT_WRITE, CannedAnswers.nothing());
        expect(201, handler.handleRequest(event(sharedToken.bearer().reveal(), null), null), "a shared enrollment");

        BearerToken wrong =
                new BearerToken(SINGLE_USE_FLEET, singleUseToken.token().tokenId(), TokenSecret.generate(random));
        canned.answer(
                        CannedAnswers.BATCH_GET,
                        CannedAnswers.batchGet(table)
                                .token(singleUseToken.token())
                                .json())
                .answer(CannedAnswers.UPDATE_ITEM, CannedAnswers.nothing())
                .answer(CannedAnswers.UPDATE_ITEM, CannedAnswers.nothing());
        expect(401, handler.handleRequest(event(wrong.reveal(), null), null), "a wrong token");

        if (!canned.allAnswered()) {
            throw new IllegalStateException(
                    "priming left canned answers unasked; it no longer runs the path it was written for");
        }
    }

    private static void expect(int status, APIGatewayProxyResponseEvent response, String what) {
        if (response.getStatusCode() != status) {
            // An error body names its reason and holds no code; a success body would hold the canned one.
            String reason = response.getStatusCode() >= 400 ? " " + response.getBody() : "";
            throw new IllegalStateException(
                    "priming " + what + " answered " + response.getStatusCode() + reason + ", not " + status);
        }
    }

    /** A request as the REST API's Lambda proxy integration delivers it, headers as a client sends them. */
    private static APIGatewayProxyRequestEvent event(String bearer, String machineId) {
        String body = "{\"hostname\":\"" + HOSTNAME + "\",\"platform\":\"linux\""
                + (machineId == null ? "" : ",\"machineId\":\"" + machineId + "\"") + ",\"tags\":{}}";
        return new APIGatewayProxyRequestEvent()
                .withHttpMethod("POST")
                .withPath("/v1/activations")
                .withResource("/v1/activations")
                .withHeaders(Map.of(
                        "Authorization",
                        "Bearer " + bearer,
                        "Content-Type",
                        "application/json",
                        "User-Agent",
                        "priming"))
                .withBody(body)
                .withIsBase64Encoded(false)
                .withRequestContext(new APIGatewayProxyRequestEvent.ProxyRequestContext()
                        .withHttpMethod("POST")
                        .withStage("prod")
                        .withIdentity(new APIGatewayProxyRequestEvent.RequestIdentity()
                                .withSourceIp(SOURCE_IP)
                                .withUserAgent("priming")));
    }
}
