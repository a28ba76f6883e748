package dev.hybridonboarding.install;

import static org.assertj.core.api.Assertions.assertThat;

import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class InstallScriptHandlerTest {

    private static final String DOMAIN = "abc123.execute-api.eu-west-1.amazonaws.com";

    private final InstallScriptHandler handler = new InstallScriptHandler(new InstallScripts(), "eu-west-1");

    private static APIGatewayV2HTTPEvent event(String path, String domain, String stage, Map<String, String> headers) {
        return APIGatewayV2HTTPEvent.builder()
                .withRawPath(path)
                .withRouteKey("GET " + path)
                .withHeaders(new HashMap<>(headers))
                .withRequestContext(APIGatewayV2HTTPEvent.RequestContext.builder()
                        .withDomainName(domain)
                        .withStage(stage)
                        .withHttp(APIGatewayV2HTTPEvent.RequestContext.Http.builder().withMethod("GET").withPath(path).build())
                        .build())
                .build();
    }

    private APIGatewayV2HTTPResponse get(String path) {
        return handler.handleRequest(event(path, DOMAIN, "$default", Map.of("x-forwarded-proto", "https")), null);
    }

    @Test
    void theLinuxScriptIsPlainTextThatCachesMayKeepBriefly() {
        APIGatewayV2HTTPResponse response = get("/v1/install/linux");

        assertThat(response.getStatusCode()).isEqualTo(200);
        assertThat(response.getHeaders())
                .containsEntry("Content-Type", "text/plain; charset=utf-8")
                .containsEntry("Cache-Control", "public, max-age=300")
                .containsEntry("X-Content-Type-Options", "nosniff")
                .containsEntry("Content-Disposition", "inline; filename=\"hybrid-onboarding-install.sh\"")
                .containsKey("ETag");
        assertThat(response.getBody()).startsWith("#!/bin/sh").contains("API_URL='https://" + DOMAIN + "'")
                .contains("REGION='eu-west-1'");
    }

    @Test
    void theWindowsScriptIsServedUnderItsOwnName() {
        APIGatewayV2HTTPResponse response = get("/v1/install/windows");

        assertThat(response.getStatusCode()).isEqualTo(200);
        assertThat(response.getHeaders()).containsEntry("Content-Disposition", "inline; filename=\"hybrid-onboarding-install.ps1\"");
        assertThat(response.getBody()).contains("$ApiUrl = 'https://" + DOMAIN + "'").contains("$Region = 'eu-west-1'");
    }

    @Test
    void aCacheThatHoldsTheCurrentScriptGetsNotModified() {
        String etag = get("/v1/install/linux").getHeaders().get("ETag");

        APIGatewayV2HTTPResponse revalidated = handler.handleRequest(
                event("/v1/install/linux", DOMAIN, "$default", Map.of("x-forwarded-proto", "https", "if-none-match", etag)), null);
        APIGatewayV2HTTPResponse stale = handler.handleRequest(
                event("/v1/install/linux", DOMAIN, "$default", Map.of("x-forwarded-proto", "https", "if-none-match", "\"old\"")), null);

        assertThat(revalidated.getStatusCode()).isEqualTo(304);
        assertThat(revalidated.getBody()).isNull();
        assertThat(revalidated.getHeaders()).containsEntry("ETag", etag);
        assertThat(stale.getStatusCode()).isEqualTo(200);
    }

    @Test
    void aNamedStageIsPartOfTheBaseUrl() {
        APIGatewayV2HTTPResponse response = handler.handleRequest(
                event("/prod/v1/install/linux", DOMAIN, "prod", Map.of("x-forwarded-proto", "https")), null);

        assertThat(response.getBody()).contains("API_URL='https://" + DOMAIN + "/prod'");
    }

    @Test
    void withoutForwardedProtoOnlyTheLoopbackIsPlainHttp() {
        APIGatewayV2HTTPResponse local = handler.handleRequest(event("/v1/install/linux", "127.0.0.1:40119", "$default", Map.of()), null);
        APIGatewayV2HTTPResponse remote = handler.handleRequest(event("/v1/install/linux", "api.example.com", "$default", Map.of()), null);
        APIGatewayV2HTTPResponse lookalike = handler.handleRequest(
                event("/v1/install/linux", "127.0.0.1.example.com", "$default", Map.of()), null);

        assertThat(local.getBody()).contains("API_URL='http://127.0.0.1:40119'");
        assertThat(remote.getBody()).contains("API_URL='https://api.example.com'");
        assertThat(lookalike.getBody()).contains("API_URL='https://127.0.0.1.example.com'");
    }

    @Test
    void aHostThatCannotBeWrittenIntoAScriptIsABadRequest() {
        APIGatewayV2HTTPResponse response = handler.handleRequest(
                event("/v1/install/linux", "evil.example.com';id;'", "$default", Map.of("x-forwarded-proto", "https")), null);

        assertThat(response.getStatusCode()).isEqualTo(400);
        assertThat(response.getHeaders()).containsEntry("Content-Type", "application/json");
        assertThat(response.getBody()).contains("invalid_host").doesNotContain("evil");
    }

    @Test
    void anotherPathIsNotFound() {
        APIGatewayV2HTTPResponse response = get("/v1/install/macos");

        assertThat(response.getStatusCode()).isEqualTo(404);
        assertThat(response.getBody()).contains("not_found");
    }
}
