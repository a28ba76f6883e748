package dev.hybridonboarding.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The install scripts as machines fetch them: through the REST API, from the install function. */
class InstallScriptIT {

    private final LocalStack stack = LocalStack.get();

    private HttpResponse<String> send(HttpRequest.Builder request) throws IOException, InterruptedException {
        return stack.http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpRequest.Builder get(String path) {
        return HttpRequest.newBuilder(URI.create(stack.apiUrl + path)).GET();
    }

    @ParameterizedTest
    @CsvSource({
        "/v1/install/linux, hybrid-onboarding-install.sh, API_URL='%s', REGION='%s'",
        "/v1/install/windows, hybrid-onboarding-install.ps1, $ApiUrl = '%s', $Region = '%s'"
    })
    void eachScriptCarriesThisApiAndRegionAsPlainText(String path, String fileName, String apiLine, String regionLine)
            throws IOException, InterruptedException {
        HttpResponse<String> response = send(get(path));

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("text/plain; charset=utf-8");
        assertThat(response.headers().firstValue("Cache-Control")).hasValue("public, max-age=300");
        assertThat(response.headers().firstValue("Content-Disposition"))
                .hasValue("inline; filename=\"" + fileName + "\"");
        assertThat(response.headers().firstValue("ETag")).isPresent();
        assertThat(response.body())
                .contains(String.format(apiLine, stack.apiUrl))
                .contains(String.format(regionLine, stack.region))
                .doesNotContain("__HYBRID_ONBOARDING")
                .doesNotContain("hob_default.");
    }

    @Test
    void aCacheRevalidatesWithTheEtag() throws IOException, InterruptedException {
        String etag =
                send(get("/v1/install/linux")).headers().firstValue("ETag").orElseThrow();

        HttpResponse<String> revalidated = send(get("/v1/install/linux").header("If-None-Match", etag));

        assertThat(revalidated.statusCode()).isEqualTo(304);
        assertThat(revalidated.body()).isEmpty();
    }

    @Test
    void onlyTheTwoScriptsAreServedAndOnlyToGet() throws IOException, InterruptedException {
        assertThat(send(get("/v1/install/macos")).statusCode()).isEqualTo(404);
        assertThat(send(HttpRequest.newBuilder(URI.create(stack.apiUrl + "/v1/install/linux"))
                                .POST(HttpRequest.BodyPublishers.ofString("{}")))
                        .statusCode())
                .isEqualTo(404);
    }
}
