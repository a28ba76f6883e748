package dev.hybridonboarding.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyRequestEvent;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HttpRequestTest {

    private static HttpRequest request(Map<String, String> headers) {
        return HttpRequest.of(new APIGatewayProxyRequestEvent().withHeaders(headers));
    }

    @Test
    void theBearerSchemeIsCaseInsensitiveAndOtherSchemesAreIgnored() {
        assertThat(request(Map.of("Authorization", "bearer abc")).bearerToken()).contains("abc");
        assertThat(request(Map.of("authorization", "Bearer  abc ")).bearerToken())
                .contains("abc");
        assertThat(request(Map.of("authorization", "Basic abc")).bearerToken()).isEmpty();
        assertThat(request(Map.of()).bearerToken()).isEmpty();
    }

    @Test
    void jsonMeansApplicationJsonInUtf8() {
        assertThat(request(Map.of("content-type", "application/json")).hasJsonBody())
                .isTrue();
        assertThat(request(Map.of("Content-Type", "Application/JSON; charset=\"UTF-8\""))
                        .hasJsonBody())
                .isTrue();
        assertThat(request(Map.of("content-type", "application/json; charset=iso-8859-1"))
                        .hasJsonBody())
                .isFalse();
        assertThat(request(Map.of("content-type", "application/jsonp")).hasJsonBody())
                .isFalse();
    }

    @Test
    void anEventWithoutContextOrBodyIsHandled() {
        HttpRequest request = HttpRequest.of(new APIGatewayProxyRequestEvent());
        assertThat(request.sourceIp()).isNull();
        assertThat(request.body(10)).hasValueSatisfying(body -> assertThat(body).isEmpty());
    }

    @Test
    void theSourceAndUserAgentComeFromTheRequestIdentity() {
        HttpRequest request = HttpRequest.of(new APIGatewayProxyRequestEvent()
                .withHeaders(Map.of("User-Agent", "from-header"))
                .withRequestContext(new APIGatewayProxyRequestEvent.ProxyRequestContext()
                        .withIdentity(new APIGatewayProxyRequestEvent.RequestIdentity().withSourceIp("203.0.113.9"))));

        assertThat(request.sourceIp()).isEqualTo("203.0.113.9");
        assertThat(request.userAgent()).isEqualTo("from-header");
    }

    @Test
    void invalidBase64IsAnEmptyBody() {
        APIGatewayProxyRequestEvent event =
                new APIGatewayProxyRequestEvent().withBody("%%%").withIsBase64Encoded(true);
        assertThat(HttpRequest.of(event).body(100))
                .hasValueSatisfying(body -> assertThat(body).isEmpty());
        assertThat(JsonBodies.object(new byte[0])).isEmpty();
    }
}
