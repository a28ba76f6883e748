package dev.hybridonboarding.function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.verifyNoInteractions;
import static org.mockito.Mockito.when;

import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyRequestEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyResponseEvent;
import com.fasterxml.jackson.jr.ob.JSON;
import dev.hybridonboarding.activation.ActivationCode;
import dev.hybridonboarding.enrollment.EnrollmentAttempt;
import dev.hybridonboarding.enrollment.EnrollmentFailure;
import dev.hybridonboarding.enrollment.EnrollmentRejectedException;
import dev.hybridonboarding.enrollment.EnrollmentResult;
import dev.hybridonboarding.enrollment.EnrollmentService;
import dev.hybridonboarding.enrollment.Platform;
import dev.hybridonboarding.enrollment.Requester;
import dev.hybridonboarding.log.StructuredLog;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.mockito.ArgumentCaptor;
import org.mockito.Mock;
import org.mockito.junit.jupiter.MockitoExtension;

@ExtendWith(MockitoExtension.class)
class EnrollmentHandlerTest {

    private static final String TOKEN = "hob_default.abcdefghijkm.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

    @Mock
    EnrollmentService service;

    private final ByteArrayOutputStream logged = new ByteArrayOutputStream();

    private EnrollmentHandler handler() {
        return new EnrollmentHandler(service, new StructuredLog(new PrintStream(logged, true, StandardCharsets.UTF_8)));
    }

    /** A REST API proxy event; its header names come as the client wrote them. */
    private static APIGatewayProxyRequestEvent event(String contentType, String body) {
        Map<String, String> headers = new HashMap<>();
        headers.put("Authorization", "Bearer " + TOKEN);
        if (contentType != null) {
            headers.put("Content-Type", contentType);
        }
        return new APIGatewayProxyRequestEvent()
                .withHttpMethod("POST")
                .withPath("/v1/activations")
                .withHeaders(headers)
                .withBody(body)
                .withIsBase64Encoded(false)
                .withRequestContext(new APIGatewayProxyRequestEvent.ProxyRequestContext()
                        .withStage("prod")
                        .withIdentity(new APIGatewayProxyRequestEvent.RequestIdentity()
                                .withSourceIp("198.51.100.7")
                                .withUserAgent("install.sh/1")));
    }

    private static Map<String, Object> json(APIGatewayProxyResponseEvent response) throws IOException {
        return JSON.std.mapFrom(response.getBody());
    }

    @SuppressWarnings("unchecked")
    private static String errorCode(APIGatewayProxyResponseEvent response) throws IOException {
        return (String) ((Map<String, Object>) json(response).get("error")).get("code");
    }

    @Test
    void anEnrollmentIs201WithTheActivationAndMayNotBeCached() throws IOException {
        when(service.enroll(any()))
                .thenReturn(new EnrollmentResult(
                        true,
                        "act-1",
                        new ActivationCode("AbCdEfGhIjKlMnOpQrSt"),
                        "eu-west-1",
                        Instant.parse("2026-11-30T13:00:00Z"),
                        "default",
                        "web-01",
                        "enr-1"));

        APIGatewayProxyResponseEvent response = handler()
                .handleRequest(
                        event("application/json; charset=utf-8", "{\"hostname\":\"web-01\",\"platform\":\"linux\"}"),
                        null);

        assertThat(response.getStatusCode()).isEqualTo(201);
        assertThat(response.getHeaders())
                .containsEntry("Cache-Control", "no-store")
                .containsEntry("Content-Type", "application/json");
        assertThat(json(response))
                .containsEntry("activationId", "act-1")
                .containsEntry("activationCode", "AbCdEfGhIjKlMnOpQrSt")
                .containsEntry("region", "eu-west-1")
                .containsEntry("expiresAt", "2026-11-30T13:00:00Z")
                .containsEntry("fleet", "default")
                .containsEntry("instanceName", "web-01")
                .containsEntry("enrollmentId", "enr-1");
        ArgumentCaptor<EnrollmentAttempt> attempt = ArgumentCaptor.forClass(EnrollmentAttempt.class);
        verify(service).enroll(attempt.capture());
        assertThat(attempt.getValue().bearerToken()).isEqualTo(TOKEN);
        assertThat(attempt.getValue().requester()).isEqualTo(new Requester("198.51.100.7", "install.sh/1"));
        assertThat(logged.toString(StandardCharsets.UTF_8)).doesNotContain("AbCdEfGhIjKlMnOpQrSt");
    }

    @Test
    void aReplayIs200() {
        when(service.enroll(any()))
                .thenReturn(new EnrollmentResult(
                        false,
                        "act-1",
                        new ActivationCode("AbCdEfGhIjKlMnOpQrSt"),
                        "eu-west-1",
                        Instant.parse("2026-11-30T13:00:00Z"),
                        "default",
                        "web-01",
                        "enr-1"));

        assertThat(handler()
                        .handleRequest(
                                event("application/json", "{\"hostname\":\"web-01\",\"platform\":\"linux\"}"), null)
                        .getStatusCode())
                .isEqualTo(200);
    }

    @Test
    void aBase64EncodedBodyIsDecoded() {
        when(service.enroll(any()))
                .thenReturn(new EnrollmentResult(
                        true,
                        "act-1",
                        new ActivationCode("AbCdEfGhIjKlMnOpQrSt"),
                        "eu-west-1",
                        Instant.parse("2026-11-30T13:00:00Z"),
                        "default",
                        "web-01",
                        "enr-1"));
        APIGatewayProxyRequestEvent event = event(
                "application/json",
                Base64.getEncoder()
                        .encodeToString(
                                "{\"hostname\":\"web-01\",\"platform\":\"windows\"}".getBytes(StandardCharsets.UTF_8)));
        event.setIsBase64Encoded(true);

        assertThat(handler().handleRequest(event, null).getStatusCode()).isEqualTo(201);
        ArgumentCaptor<EnrollmentAttempt> attempt = ArgumentCaptor.forClass(EnrollmentAttempt.class);
        verify(service).enroll(attempt.capture());
        assertThat(attempt.getValue().request().platform()).isEqualTo(Platform.WINDOWS);
    }

    @ParameterizedTest
    @ValueSource(strings = {"text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin-1"})
    void anythingButJsonIs415(String contentType) throws IOException {
        APIGatewayProxyResponseEvent response = handler().handleRequest(event(contentType, "{}"), null);

        assertThat(response.getStatusCode()).isEqualTo(415);
        assertThat(errorCode(response)).isEqualTo("unsupported_media_type");
        verifyNoInteractions(service);
    }

    @Test
    void aMissingContentTypeIs415() throws IOException {
        assertThat(handler().handleRequest(event(null, "{}"), null).getStatusCode())
                .isEqualTo(415);
        verifyNoInteractions(service);
    }

    @Test
    void aBodyOver16KiBIs413() throws IOException {
        String big = "{\"hostname\":\"" + "a".repeat(EnrollmentHandler.MAX_BODY_BYTES) + "\",\"platform\":\"linux\"}";

        APIGatewayProxyResponseEvent response = handler().handleRequest(event("application/json", big), null);

        assertThat(response.getStatusCode()).isEqualTo(413);
        assertThat(errorCode(response)).isEqualTo("payload_too_large");
        verifyNoInteractions(service);
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "",
                "{",
                "[]",
                "\"text\"",
                "{\"hostname\":\"a\",\"hostname\":\"b\"}",
                "{\"hostname\":\"a\"} trailing",
                "{\"hostname\":\"a\"}{}"
            })
    void malformedJsonIs400(String body) throws IOException {
        APIGatewayProxyResponseEvent response = handler().handleRequest(event("application/json", body), null);

        assertThat(response.getStatusCode()).isEqualTo(400);
        assertThat(errorCode(response)).isEqualTo("malformed_json");
        verifyNoInteractions(service);
    }

    @Test
    void invalidFieldsAre400WithTheFieldNamed() throws IOException {
        APIGatewayProxyResponseEvent response =
                handler().handleRequest(event("application/json", "{\"platform\":\"linux\"}"), null);

        assertThat(response.getStatusCode()).isEqualTo(400);
        assertThat(errorCode(response)).isEqualTo("invalid_hostname");
        assertThat(response.getBody()).contains("hostname is required");
        verifyNoInteractions(service);
    }

    @Test
    void aRejectionKeepsItsStatusAndRetryAfter() throws IOException {
        when(service.enroll(any()))
                .thenThrow(new EnrollmentRejectedException(
                        EnrollmentFailure.SERVICE_UNAVAILABLE, "busy", Duration.ofSeconds(5)));

        APIGatewayProxyResponseEvent response = handler()
                .handleRequest(event("application/json", "{\"hostname\":\"web-01\",\"platform\":\"linux\"}"), null);

        assertThat(response.getStatusCode()).isEqualTo(503);
        assertThat(response.getHeaders()).containsEntry("Retry-After", "5");
        assertThat(json(response)).containsEntry("error", Map.of("code", "service_unavailable", "message", "busy"));
    }

    @Test
    void a401AsksForABearerToken() {
        when(service.enroll(any()))
                .thenThrow(new EnrollmentRejectedException(EnrollmentFailure.INVALID_TOKEN, "invalid"));

        APIGatewayProxyResponseEvent response = handler()
                .handleRequest(event("application/json", "{\"hostname\":\"web-01\",\"platform\":\"linux\"}"), null);

        assertThat(response.getStatusCode()).isEqualTo(401);
        assertThat(response.getHeaders()).containsKey("WWW-Authenticate");
    }

    @Test
    void anUnexpectedFailureIsA500WithoutDetails() throws IOException {
        when(service.enroll(any())).thenThrow(new IllegalStateException("table schema broken at pk"));

        APIGatewayProxyResponseEvent response = handler()
                .handleRequest(event("application/json", "{\"hostname\":\"web-01\",\"platform\":\"linux\"}"), null);

        assertThat(response.getStatusCode()).isEqualTo(500);
        assertThat(errorCode(response)).isEqualTo("internal_error");
        assertThat(response.getBody()).doesNotContain("schema").doesNotContain("Exception");
        assertThat(logged.toString(StandardCharsets.UTF_8)).contains("table schema broken at pk");
    }
}
