package dev.hybridonboarding.install;

import com.amazonaws.services.lambda.runtime.Context;
import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyRequestEvent;
import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyResponseEvent;
import dev.hybridonboarding.http.HttpRequest;
import dev.hybridonboarding.http.JsonResponses;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import org.crac.Core;

/**
 * {@code GET /v1/install/linux} and {@code GET /v1/install/windows}: the first-boot scripts, written for the API
 * the request came through. It reads the path and the host the caller used, and maps the rendered script to a
 * response that a browser shows and {@code curl | sh} or PowerShell runs.
 */
public final class InstallScriptHandler
        implements RequestHandler<APIGatewayProxyRequestEvent, APIGatewayProxyResponseEvent> {

    /** The scripts change only with a deployment; caches may keep them briefly and then revalidate by ETag. */
    static final String CACHE_CONTROL = "public, max-age=300";

    private static final Pattern LOOPBACK = Pattern.compile("(?:127\\.0\\.0\\.1|localhost)(?::[0-9]+)?");

    private final InstallScripts scripts;
    private final String region;
    /** Held here: CRaC keeps only weak references to the resources registered with it. */
    private final InstallScriptPriming priming = new InstallScriptPriming(this);

    public InstallScriptHandler() {
        this(new InstallScripts(), System.getenv("AWS_REGION"));
        Core.getGlobalContext().register(priming);
    }

    public InstallScriptHandler(InstallScripts scripts, String region) {
        this.scripts = scripts;
        this.region = region;
    }

    @Override
    public APIGatewayProxyResponseEvent handleRequest(APIGatewayProxyRequestEvent event, Context context) {
        Optional<InstallTarget> target = InstallTarget.ofPath(event.getPath());
        if (target.isEmpty()) {
            return JsonResponses.error(
                    404,
                    "not_found",
                    "the install scripts are /v1/install/linux and /v1/install/windows",
                    Optional.empty());
        }
        HttpRequest request = HttpRequest.of(event);
        InstallScript script;
        try {
            script = scripts.render(target.get(), apiUrl(event, request), region);
        } catch (IllegalArgumentException notUsable) {
            return JsonResponses.error(
                    400,
                    "invalid_host",
                    "the request's host cannot be written into an install script",
                    Optional.empty());
        }
        if (request.header("if-none-match")
                .map(tags -> tags.contains(script.etag()))
                .orElse(false)) {
            return new APIGatewayProxyResponseEvent()
                    .withStatusCode(304)
                    .withHeaders(Map.of("ETag", script.etag(), "Cache-Control", CACHE_CONTROL));
        }
        return new APIGatewayProxyResponseEvent()
                .withStatusCode(200)
                .withHeaders(Map.of(
                        "Content-Type",
                        "text/plain; charset=utf-8",
                        "Content-Disposition",
                        "inline; filename=\"" + script.target().fileName() + "\"",
                        "X-Content-Type-Options",
                        "nosniff",
                        "Cache-Control",
                        CACHE_CONTROL,
                        "ETag",
                        script.etag()))
                .withBody(script.text());
    }

    /**
     * The base URL the caller reached: API Gateway always says which scheme in {@code X-Forwarded-Proto}; without
     * it only a loopback host (the local stack) is taken to be plain HTTP.
     */
    private static String apiUrl(APIGatewayProxyRequestEvent event, HttpRequest request) {
        APIGatewayProxyRequestEvent.ProxyRequestContext requestContext = event.getRequestContext();
        String host = requestContext == null ? null : requestContext.getDomainName();
        if (host == null) {
            host = request.header("host").orElse("");
        }
        String scheme = request.header("x-forwarded-proto")
                .orElse(LOOPBACK.matcher(host).matches() ? "http" : "https");
        return scheme + "://" + host + basePath(event);
    }

    /**
     * What the caller's path holds before the API's own: the stage on the execute-api endpoint ({@code /prod}), a
     * custom domain's base path, or nothing. API Gateway gives both the path the caller used
     * ({@code requestContext.path}) and the API's own ({@code path}).
     */
    private static String basePath(APIGatewayProxyRequestEvent event) {
        APIGatewayProxyRequestEvent.ProxyRequestContext requestContext = event.getRequestContext();
        String used = requestContext == null ? null : requestContext.getPath();
        String own = event.getPath();
        if (used != null && own != null && used.endsWith(own)) {
            return used.substring(0, used.length() - own.length());
        }
        String stage = requestContext == null ? null : requestContext.getStage();
        return stage == null || stage.isEmpty() ? "" : "/" + stage;
    }
}
