package dev.hybridonboarding.cli;

import dev.hybridonboarding.admin.TakeBack;
import dev.hybridonboarding.token.EnrollmentToken;
import dev.hybridonboarding.token.TokenIssuer;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(
        name = "token",
        mixinStandardHelpOptions = true,
        description = "Enrollment tokens let machines ask for activations; the secret is shown once, at creation.",
        subcommands = {TokenCommand.Create.class, TokenCommand.ListTokens.class, TokenCommand.Revoke.class})
final class TokenCommand {

    @ParentCommand
    Hob hob;

    @Command(
            name = "create",
            mixinStandardHelpOptions = true,
            description = "Create a token and print it, with the lines that enroll a machine at first boot. "
                    + "It is not stored and cannot be shown again.")
    static final class Create implements Callable<Integer> {
        @ParentCommand
        TokenCommand parent;

        @Option(
                names = "--fleet",
                paramLabel = "FLEET",
                description = "Fleet the token enrolls into (default: the template's default fleet).")
        String fleet;

        @Option(
                names = "--uses",
                paramLabel = "N",
                defaultValue = "1",
                description = "How many enrollments it allows (default: ${DEFAULT-VALUE}).")
        int uses;

        @Option(
                names = "--lifetime",
                paramLabel = "DURATION",
                defaultValue = "24h",
                converter = Durations.class,
                description = "How long it is valid, e.g. 1h, 24h, 30d (default: ${DEFAULT-VALUE}).")
        Duration lifetime;

        @Option(
                names = "--source-cidr",
                paramLabel = "CIDR",
                description = "Only accept it from this network; repeat for more (default: from anywhere).")
        List<String> sourceCidrs = new ArrayList<>();

        @Option(
                names = "--description",
                paramLabel = "TEXT",
                description = "What the token is for, e.g. the image it is baked into.")
        String description;

        @Override
        public Integer call() {
            Hob hob = parent.hob;
            Hob.Context context = hob.contextForChange();
            String target = fleet != null ? fleet : context.deployment.templateFleet.name();
            TokenIssuer.Issued issued = context.tokens.create(target, uses, lifetime, sourceCidrs, description);
            PrintWriter out = hob.spec.commandLine().getOut();
            Map<String, String> firstBoot =
                    FirstBootLines.of(context.deployment.apiUrl, issued.bearer().reveal());
            if (hob.json()) {
                Map<String, Object> json = toJson(issued.token(), hob.clock().instant());
                json.put("token", issued.bearer().reveal());
                json.put("firstBoot", firstBoot);
                Output.json(out, json);
                return 0;
            }
            EnrollmentToken token = issued.token();
            out.println("Enrollment token " + token.tokenId() + " for fleet " + token.fleet() + ": " + token.maxUses()
                    + (token.maxUses() == 1 ? " use" : " uses") + ", expires " + Output.time(token.expiresAt())
                    + (token.sourceCidrs().isEmpty() ? "" : ", only from " + String.join(", ", token.sourceCidrs()))
                    + ".");
            out.println("Store it now; it is not shown again:");
            out.println();
            out.println("  " + issued.bearer().reveal());
            out.println();
            out.println("First boot with it (README, \"First boot\"):");
            printFirstBoot(out, "Linux, as root:", firstBoot.get("linux"));
            printFirstBoot(out, "cloud-init user data:", firstBoot.get("cloudInit"));
            printFirstBoot(
                    out,
                    "Windows Server 2012 R2 or later, in PowerShell as Administrator:",
                    firstBoot.get("powershell"));
            printFirstBoot(out, "Autounattend.xml, in FirstLogonCommands:", firstBoot.get("autounattend"));
            return 0;
        }
    }

    private static void printFirstBoot(PrintWriter out, String heading, String lines) {
        out.println();
        out.println("  " + heading);
        lines.lines().forEach(line -> out.println("    " + line));
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List tokens (never their secrets).")
    static final class ListTokens implements Callable<Integer> {
        @ParentCommand
        TokenCommand parent;

        @Option(names = "--fleet", paramLabel = "FLEET", description = "Only this fleet's tokens.")
        String fleet;

        @Override
        public Integer call() {
            Hob hob = parent.hob;
            Instant now = hob.clock().instant();
            List<EnrollmentToken> tokens = hob.context().tokens.list(Optional.ofNullable(fleet));
            PrintWriter out = hob.spec.commandLine().getOut();
            if (hob.json()) {
                Output.json(out, tokens.stream().map(t -> toJson(t, now)).toList());
                return 0;
            }
            List<List<String>> rows = new ArrayList<>();
            for (EnrollmentToken t : tokens) {
                rows.add(List.of(
                        t.tokenId(),
                        t.fleet(),
                        state(t, now),
                        t.uses() + "/" + t.maxUses(),
                        Output.relative(t.expiresAt(), now),
                        String.join(",", t.sourceCidrs()),
                        t.description() == null ? "" : t.description()));
            }
            Output.table(out, List.of("TOKEN ID", "FLEET", "STATE", "USED", "EXPIRES", "SOURCES", "DESCRIPTION"), rows);
            return 0;
        }
    }

    @Command(
            name = "revoke",
            mixinStandardHelpOptions = true,
            description = "Revoke a token at once; machines that already registered stay registered.")
    static final class Revoke implements Callable<Integer> {
        @ParentCommand
        TokenCommand parent;

        @Parameters(paramLabel = "TOKEN_ID", description = "The token's public id (as in 'token list').")
        String tokenId;

        @Override
        public Integer call() {
            Hob hob = parent.hob;
            Hob.Context context = hob.contextForChange();
            context.tokens.revoke(tokenId);
            EnrollmentToken token = context.store.token(tokenId).orElseThrow();
            TakeBack.Report report = context.takeBack()
                    .afterTokenRevoked(
                            tokenId, context.fleets.show(token.fleet()).fleet());
            PrintWriter out = hob.spec.commandLine().getOut();
            if (hob.json()) {
                Output.json(out, Map.of("tokenId", tokenId, "revoked", true, "takenBack", Output.takenBack(report)));
            } else {
                out.println("Enrollment token " + tokenId + " revoked.");
                Output.describe(out, report);
            }
            return 0;
        }
    }

    static String state(EnrollmentToken token, Instant now) {
        if (token.revoked()) {
            return "revoked";
        }
        if (token.isExpired(now)) {
            return "expired";
        }
        return token.usesLeft() == 0 ? "used up" : "active";
    }

    static Map<String, Object> toJson(EnrollmentToken token, Instant now) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("tokenId", token.tokenId());
        json.put("fleet", token.fleet());
        json.put("state", state(token, now));
        json.put("uses", token.uses());
        json.put("maxUses", token.maxUses());
        json.put("expiresAt", token.expiresAt().toString());
        json.put("sourceCidrs", token.sourceCidrs());
        json.put("description", token.description());
        json.put("revoked", token.revoked());
        json.put("createdAt", token.createdAt().toString());
        return json;
    }
}
