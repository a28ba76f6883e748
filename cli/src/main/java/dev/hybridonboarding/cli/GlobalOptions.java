package dev.hybridonboarding.cli;

import java.nio.file.Path;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/** Options every command takes: where the deployment is, and how to print. */
final class GlobalOptions {

    static final String DEFAULT_STACK_NAME = "hybrid-onboarding";

    @Option(
            names = "--stack-name",
            scope = ScopeType.INHERIT,
            paramLabel = "NAME",
            description = "CloudFormation stack of the deployment (default: " + DEFAULT_STACK_NAME
                    + ", or the local stack when its state file exists).")
    String stackName;

    @Option(
            names = "--region",
            scope = ScopeType.INHERIT,
            paramLabel = "REGION",
            description = "AWS Region (default: from the environment or profile).")
    String region;

    @Option(
            names = "--profile",
            scope = ScopeType.INHERIT,
            paramLabel = "PROFILE",
            description = "Named AWS profile (default: the usual credential chain).")
    String profile;

    @Option(
            names = "--endpoint-url",
            scope = ScopeType.INHERIT,
            paramLabel = "URL",
            description = "Send every AWS call to this endpoint, e.g. the local stack's emulator.")
    String endpointUrl;

    @Option(
            names = "--local-state",
            scope = ScopeType.INHERIT,
            paramLabel = "FILE",
            description = "State file of a running local stack (default: target/local-stack.json if it exists).")
    Path localState;

    @Option(names = "--json", scope = ScopeType.INHERIT, description = "Print JSON for scripts instead of tables.")
    boolean json;
}
