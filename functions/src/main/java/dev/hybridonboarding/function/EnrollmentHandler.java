package dev.hybridonboarding.enrollment;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import dev.hybridonboarding.aws.EnrollmentWiring;
import dev.hybridonboarding.http.HttpRequest;
import dev.hybridonboarding.http.JsonBodies;
import dev.hybridonboarding.http.JsonResponses;
import dev.hybridonboarding.log.StructuredLog;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/** {@code POST /v1/activations}: a machine trades its enrollment token for an SSM activation. */
public final class EnrollmentHandler implements RequestHandler<APIGatewayV2HTTPEvent, APIGatewayV2HTTPResponse> {

    public static final int MAX_BODY_BYTES = 16 * 1024;
    /** The function's timeout in the template, for callers that invoke the handler without a Lambda context. */
    private static final Duration WITHOUT_CONTEXT = Duration.ofSeconds(29);

    private final EnrollmentService service;
    private final StructuredLog log;

    public EnrollmentHandler() {
        this(EnrollmentWiring.fromEnvironment(), StructuredLog.stdout());
    }

    public EnrollmentHandler(EnrollmentService service, StructuredLog log) {
        this.service = service;
        this.log = log;
    }

    @Override
    public APIGatewayV2HTTPResponse handleRequest(APIGatewayV2HTTPEvent event, Context context) {
        try {
            HttpRequest request = HttpRequest.of(event);
            EnrollmentResult result = service.enroll(new EnrollmentAttempt(
                    request.bearerToken().orElse(null), request.sourceIp(), request.userAgent(), parse(request), deadline(context)));
            return JsonResponses.secret(result.created() ? 201 : 200, body(result));
        } catch (EnrollmentRejectedException rejected) {
            EnrollmentFailure failure = rejected.failure();
            return JsonResponses.error(failure.status(), failure.code(), rejected.getMessage(), rejected.retryAfter());
        } catch (RuntimeException unexpected) {
            log.error("enrollment.failed", "requestId", context == null ? null : context.getAwsRequestId(),
                    "error", unexpected.getClass().getName(), "cause", unexpected.getMessage());
            return JsonResponses.error(500, EnrollmentFailure.INTERNAL_ERROR.code(),
                    "the enrollment failed unexpectedly; nothing was issued", Optional.empty());
        }
    }

    /** When Lambda stops the invocation; the service does not start work it could not finish by then. */
    private static Instant deadline(Context context) {
        Duration left = context == null ? WITHOUT_CONTEXT : Duration.ofMillis(context.getRemainingTimeInMillis());
        return Instant.now().plus(left);
    }

    private static EnrollmentRequest parse(HttpRequest request) {
        if (!request.hasJsonBody()) {
            throw new EnrollmentRejectedException(EnrollmentFailure.UNSUPPORTED_MEDIA_TYPE,
                    "send the request as Content-Type: application/json");
        }
        byte[] body = request.body(MAX_BODY_BYTES).orElseThrow(() -> new EnrollmentRejectedException(
                EnrollmentFailure.PAYLOAD_TOO_LARGE, "the request body is larger than " + MAX_BODY_BYTES + " bytes"));
        Map<String, Object> json = JsonBodies.object(body).orElseThrow(() -> new EnrollmentRejectedException(
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
