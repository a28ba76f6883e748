package dev.hybridonboarding.install;

import com.amazonaws.services.lambda.runtime.events.APIGatewayProxyRequestEvent;
import java.util.HashMap;
import java.util.Map;
import org.crac.Context;
import org.crac.Resource;

/**
 * Serves each script once before a SnapStart snapshot, so that restored environments start with the rendering,
 * the ETag digest and the response mapping loaded. Nothing it computes is kept: the function holds no random source,
 * connection or credentials, so there is nothing to renew after a restore.
 */
final class InstallScriptPriming implements Resource {

    private static final String DOMAIN = "priming.execute-api.us-east-1.amazonaws.com";

    private final InstallScriptHandler handler;

    InstallScriptPriming(InstallScriptHandler handler) {
        this.handler = handler;
    }

    @Override
    public void beforeCheckpoint(Context<? extends Resource> context) {
        for (InstallTarget target : InstallTarget.values()) {
            String path = target.path();
            int status = handler.handleRequest(event(path), null).getStatusCode();
            if (status != 200) {
                throw new IllegalStateException("priming " + path + " answered " + status + ", not 200");
            }
        }
    }

    @Override
    public void afterRestore(Context<? extends Resource> context) {}

    private static APIGatewayProxyRequestEvent event(String path) {
        return new APIGatewayProxyRequestEvent()
                .withHttpMethod("GET")
                .withPath(path)
                .withResource(path)
                .withHeaders(
                        new HashMap<>(Map.of("Host", DOMAIN, "X-Forwarded-Proto", "https", "User-Agent", "priming")))
                .withRequestContext(new APIGatewayProxyRequestEvent.ProxyRequestContext()
                        .withDomainName(DOMAIN)
                        .withStage("prod")
                        .withPath("/prod" + path)
                        .withHttpMethod("GET"));
    }
}
