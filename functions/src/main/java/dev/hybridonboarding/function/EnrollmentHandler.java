package dev.hybridonboarding.function;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyRequestEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyResponseEvent;
import dev.hybridonboarding.enrollment.EnrollmentAttempt;
import dev.hybridonboarding.enrollment.EnrollmentFailure;
import dev.hybridonboarding.enrollment.EnrollmentRejectedException;
import dev.hybridonboarding.enrollment.EnrollmentRequest;
import dev.hybridonboarding.enrollment.EnrollmentResult;
import dev.hybridonboarding.enrollment.EnrollmentService;
import dev.hybridonboarding.enrollment.Requester;
import dev.hybridonboarding.http.HttpRequest;
import dev.hybridonboarding.http.JsonBodies;
import dev.hybridonboarding.http.JsonResponses;
import dev.hybridonboarding.log.StructuredLog;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/** {@code POST /v1/activations}: a machine trades its enrollment token for an SSM activation. */
public final class EnrollmentHandler
        implements RequestHandler<APIGatewayProxyRequestEvent, APIGatewayProxyResponseEvent> {

    public static final int MAX_BODY_BYTES = 16 * 1024;
    /** The function's timeout in the template, for callers that invoke the handler without a Lambda context. */
    private static final Duration WITHOUT_CONTEXT = Duration.ofSeconds(28);

    private final Supplier<EnrollmentService> service;
    private final StructuredLog log;
    /** Held here because the runtime keeps SnapStart resources only weakly. */
    private final EnrollmentEnvironment environment;

    public EnrollmentHandler() {
        this(EnrollmentEnvironment.forLambda());
    }

    private EnrollmentHandler(EnrollmentEnvironment environment) {
        this.environment = environment;
        this.service = environment::service;
        this.log = StructuredLog.stdout();
    }

    public EnrollmentHandler(EnrollmentService service, StructuredLog log) {
        this.environment = null;
        this.service = () -> service;
        this.log = log;
    }

    @Override
    public APIGatewayProxyResponseEvent handleRequest(APIGatewayProxyRequestEvent event, Context context) {
        try {
            HttpRequest request = HttpRequest.of(event);
            EnrollmentResult result = service.get()
                    .enroll(new EnrollmentAttempt(
                            request.bearerToken().orElse(null),
                            new Requester(request.sourceIp(), request.userAgent()),
                            parse(request),
                            deadline(context)));
            return JsonResponses.secret(result.created() ? 201 : 200, body(result));
        } catch (EnrollmentRejectedException rejected) {
            EnrollmentFailure failure = rejected.failure();
            return JsonResponses.error(status(failure), failure.code(), rejected.getMessage(), rejected.retryAfter());
        } catch (RuntimeException unexpected) {
            log.error(
                    "enrollment.failed",
                    "requestId",
                    context == null ? null : context.getAwsRequestId(),
                    "error",
                    unexpected.getClass().getName(),
                    "cause",
                    unexpected.getMessage());
            return JsonResponses.error(
                    status(EnrollmentFailure.INTERNAL_ERROR),
                    EnrollmentFailure.INTERNAL_ERROR.code(),
                    "the enrollment failed unexpectedly; nothing was issued",
                    Optional.empty());
        }
    }

    /** The API's status for each refusal. */
    static int status(EnrollmentFailure failure) {
        return switch (failure) {
            case MALFORMED_JSON,
                    INVALID_REQUEST,
                    INVALID_HOSTNAME,
                    INVALID_PLATFORM,
                    INVALID_MACHINE_ID,
                    INVALID_TAGS -> 400;
            case INVALID_TOKEN -> 401;
            case TOKEN_EXHAUSTED, TAG_NOT_ACCEPTED, FLEET_NOT_FOUND, FLEET_DISABLED -> 403;
            case PAYLOAD_TOO_LARGE -> 413;
            case UNSUPPORTED_MEDIA_TYPE -> 415;
            case TOO_MANY_FAILURES -> 429;
            case FLEET_MISCONFIGURED, INTERNAL_ERROR -> 500;
            case SERVICE_UNAVAILABLE -> 503;
        };
    }

    /** When Lambda stops the invocation; the service does not start work it could not finish by then. */
    private static Instant deadline(Context context) {
        Duration left = context == null ? WITHOUT_CONTEXT : Duration.ofMillis(context.getRemainingTimeInMillis());
        return Instant.now().plus(left);
    }

    private static EnrollmentRequest parse(HttpRequest request) {
        if (!request.hasJsonBody()) {
            throw new EnrollmentRejectedException(
                    EnrollmentFailure.UNSUPPORTED_MEDIA_TYPE, "send the request as Content-Type: application/json");
        }
        byte[] body = request.body(MAX_BODY_BYTES)
                .orElseThrow(() -> new EnrollmentRejectedException(
                        EnrollmentFailure.PAYLOAD_TOO_LARGE,
                        "the request body is larger than " + MAX_BODY_BYTES + " bytes"));
        Map<String, Object> json = JsonBodies.object(body)
                .orElseThrow(() -> new EnrollmentRejectedException(
                        EnrollmentFailure.MALFORMED_JSON, "the request body must be one JSON object"));
        return EnrollmentRequest.fromJson(json);
    }

    private static Map<String, Object> body(EnrollmentResult result) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("activationId", result.activationId());
        body.put("activationCode", result.activationCode().reveal());
        body.put("region", result.region());
        body.put("expiresAt", result.expiresAt().toString());
        body.put("fleet", result.fleet());
        body.put("instanceName", result.instanceName());
        body.put("enrollmentId", result.enrollmentId());
        return body;
    }
}
