package dev.hybridonboarding.install;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayV2HTTPResponse;
import dev.hybridonboarding.http.HttpRequest;
import dev.hybridonboarding.http.JsonResponses;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * {@code GET /v1/install/linux} and {@code GET /v1/install/windows}: the first-boot scripts, written for the API
 * the request came through. It reads the path and the host the caller used, and maps the rendered script to a
 * response that a browser shows and {@code curl | sh} or PowerShell runs.
 */
public final class InstallScriptHandler implements RequestHandler<APIGatewayV2HTTPEvent, APIGatewayV2HTTPResponse> {

    /** The scripts change only with a deployment; caches may keep them briefly and then revalidate by ETag. */
    static final String CACHE_CONTROL = "public, max-age=300";
    private static final String DEFAULT_STAGE = "$default";
    private static final Pattern LOOPBACK = Pattern.compile("(?:127\\.0\\.0\\.1|localhost)(?::[0-9]+)?");

    private final InstallScripts scripts;
    private final String region;

    public InstallScriptHandler() {
        this(new InstallScripts(), System.getenv("AWS_REGION"));
    }

    public InstallScriptHandler(InstallScripts scripts, String region) {
        this.scripts = scripts;
        this.region = region;
    }

    @Override
    public APIGatewayV2HTTPResponse handleRequest(APIGatewayV2HTTPEvent event, Context context) {
        Optional<InstallTarget> target = InstallTarget.ofPath(event.getRawPath());
        if (target.isEmpty()) {
            return JsonResponses.error(404, "not_found", "the install scripts are /v1/install/linux and /v1/install/windows",
                    Optional.empty());
        }
        HttpRequest request = HttpRequest.of(event);
        InstallScript script;
        try {
            script = scripts.render(target.get(), apiUrl(event, request), region);
        } catch (IllegalArgumentException notUsable) {
            return JsonResponses.error(400, "invalid_host", "the request's host cannot be written into an install script",
                    Optional.empty());
        }
        if (request.header("if-none-match").map(tags -> tags.contains(script.etag())).orElse(false)) {
            return APIGatewayV2HTTPResponse.builder()
                    .withStatusCode(304)
                    .withHeaders(Map.of("ETag", script.etag(), "Cache-Control", CACHE_CONTROL))
                    .build();
        }
        return APIGatewayV2HTTPResponse.builder()
                .withStatusCode(200)
                .withHeaders(Map.of(
                        "Content-Type", "text/plain; charset=utf-8",
                        "Content-Disposition", "inline; filename=\"" + script.target().fileName() + "\"",
                        "X-Content-Type-Options", "nosniff",
                        "Cache-Control", CACHE_CONTROL,
                        "ETag", script.etag()))
                .withBody(script.text())
                .build();
    }

    /**
     * The base URL the caller reached: API Gateway always says which scheme in {@code X-Forwarded-Proto}; without
     * it only a loopback host (the local stack) is taken to be plain HTTP.
     */
    private static String apiUrl(APIGatewayV2HTTPEvent event, HttpRequest request) {
        APIGatewayV2HTTPEvent.RequestContext requestContext = event.getRequestContext();
        String host = requestContext == null ? null : requestContext.getDomainName();
        if (host == null) {
            host = request.header("host").orElse("");
        }
        String scheme = request.header("x-forwarded-proto")
                .orElse(LOOPBACK.matcher(host).matches() ? "http" : "https");
        String stage = requestContext == null ? null : requestContext.getStage();
        String stagePath = stage == null || stage.isEmpty() || DEFAULT_STAGE.equals(stage) ? "" : "/" + stage;
        return scheme + "://" + host + stagePath;
    }
}
