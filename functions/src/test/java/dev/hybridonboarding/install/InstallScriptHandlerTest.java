package dev.hybridonboarding.install;

import static org.assertj.core.api.Assertions.assertThat;

import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyRequestEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyResponseEvent;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class InstallScriptHandlerTest {

    private static final String DOMAIN = "abc123.execute-api.eu-west-1.amazonaws.com";

    private final InstallScriptHandler handler = new InstallScriptHandler(new InstallScripts(), "eu-west-1");

    /** A REST API proxy event for a request to {@code path} of the API, made as {@code usedPath}. */
    private static APIGatewayProxyRequestEvent event(
            String path, String usedPath, String domain, String stage, Map<String, String> headers) {
        return new APIGatewayProxyRequestEvent()
                .withHttpMethod("GET")
                .withPath(path)
                .withResource(path)
                .withHeaders(new HashMap<>(headers))
                .withRequestContext(new APIGatewayProxyRequestEvent.ProxyRequestContext()
                        .withDomainName(domain)
                        .withStage(stage)
                        .withPath(usedPath)
                        .withHttpMethod("GET"));
    }

    private static APIGatewayProxyRequestEvent event(String path, String domain, Map<String, String> headers) {
        return event(path, "/prod" + path, domain, "prod", headers);
    }

    private APIGatewayProxyResponseEvent get(String path) {
        return handler.handleRequest(event(path, DOMAIN, Map.of("X-Forwarded-Proto", "https")), null);
    }

    @Test
    void theLinuxScriptIsPlainTextThatCachesMayKeepBriefly() {
        APIGatewayProxyResponseEvent response = get("/v1/install/linux");

        assertThat(response.getStatusCode()).isEqualTo(200);
        assertThat(response.getHeaders())
                .containsEntry("Content-Type", "text/plain; charset=utf-8")
                .containsEntry("Cache-Control", "public, max-age=300")
                .containsEntry("X-Content-Type-Options", "nosniff")
                .containsEntry("Content-Disposition", "inline; filename=\"hybrid-onboarding-install.sh\"")
                .containsKey("ETag");
        assertThat(response.getBody())
                .startsWith("#!/bin/sh")
                .contains("API_URL='https://" + DOMAIN + "/prod'")
                .contains("REGION='eu-west-1'");
    }

    @Test
    void theWindowsScriptIsServedUnderItsOwnName() {
        APIGatewayProxyResponseEvent response = get("/v1/install/windows");

        assertThat(response.getStatusCode()).isEqualTo(200);
        assertThat(response.getHeaders())
                .containsEntry("Content-Disposition", "inline; filename=\"hybrid-onboarding-install.ps1\"");
        assertThat(response.getBody())
                .contains("$ApiUrl = 'https://" + DOMAIN + "/prod'")
                .contains("$Region = 'eu-west-1'");
    }

    @Test
    void aCacheThatHoldsTheCurrentScriptGetsNotModified() {
        String etag = get("/v1/install/linux").getHeaders().get("ETag");

        APIGatewayProxyResponseEvent revalidated = handler.handleRequest(
                event("/v1/install/linux", DOMAIN, Map.of("X-Forwarded-Proto", "https", "If-None-Match", etag)), null);
        APIGatewayProxyResponseEvent stale = handler.handleRequest(
                event("/v1/install/linux", DOMAIN, Map.of("X-Forwarded-Proto", "https", "If-None-Match", "\"old\"")),
                null);

        assertThat(revalidated.getStatusCode()).isEqualTo(304);
        assertThat(revalidated.getBody()).isNull();
        assertThat(revalidated.getHeaders()).containsEntry("ETag", etag);
        assertThat(stale.getStatusCode()).isEqualTo(200);
    }

    @Test
    void theBaseUrlIsWhatTheCallerUsedBeforeTheApisOwnPath() {
        APIGatewayProxyResponseEvent customDomain = handler.handleRequest(
                event(
                        "/v1/install/linux",
                        "/onboarding/v1/install/linux",
                        "onboarding.example.com",
                        "prod",
                        Map.of("X-Forwarded-Proto", "https")),
                null);
        APIGatewayProxyResponseEvent domainRoot = handler.handleRequest(
                event(
                        "/v1/install/linux",
                        "/v1/install/linux",
                        "onboarding.example.com",
                        "prod",
                        Map.of("X-Forwarded-Proto", "https")),
                null);
        APIGatewayProxyResponseEvent withoutUsedPath = handler.handleRequest(
                event("/v1/install/linux", null, DOMAIN, "live", Map.of("X-Forwarded-Proto", "https")), null);

        assertThat(customDomain.getBody()).contains("API_URL='https://onboarding.example.com/onboarding'");
        assertThat(domainRoot.getBody()).contains("API_URL='https://onboarding.example.com'");
        assertThat(withoutUsedPath.getBody()).contains("API_URL='https://" + DOMAIN + "/live'");
    }

    @Test
    void withoutForwardedProtoOnlyTheLoopbackIsPlainHttp() {
        APIGatewayProxyResponseEvent local =
                handler.handleRequest(event("/v1/install/linux", "127.0.0.1:40119", Map.of()), null);
        APIGatewayProxyResponseEvent remote =
                handler.handleRequest(event("/v1/install/linux", "api.example.com", Map.of()), null);
        APIGatewayProxyResponseEvent lookalike =
                handler.handleRequest(event("/v1/install/linux", "127.0.0.1.example.com", Map.of()), null);

        assertThat(local.getBody()).contains("API_URL='http://127.0.0.1:40119/prod'");
        assertThat(remote.getBody()).contains("API_URL='https://api.example.com/prod'");
        assertThat(lookalike.getBody()).contains("API_URL='https://127.0.0.1.example.com/prod'");
    }

    @Test
    void aHostThatCannotBeWrittenIntoAScriptIsABadRequest() {
        APIGatewayProxyResponseEvent response = handler.handleRequest(
                event("/v1/install/linux", "evil.example.com';id;'", Map.of("X-Forwarded-Proto", "https")), null);

        assertThat(response.getStatusCode()).isEqualTo(400);
        assertThat(response.getHeaders()).containsEntry("Content-Type", "application/json");
        assertThat(response.getBody()).contains("invalid_host").doesNotContain("evil");
    }

    @Test
    void anotherPathIsNotFound() {
        APIGatewayProxyResponseEvent response = get("/v1/install/macos");

        assertThat(response.getStatusCode()).isEqualTo(404);
        assertThat(response.getBody()).contains("not_found");
    }
}
