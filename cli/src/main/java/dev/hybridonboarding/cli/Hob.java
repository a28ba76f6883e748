package dev.hybridonboarding.cli;

import dev.hybridonboarding.admin.AdminStore;
import dev.hybridonboarding.admin.FleetAdmin;
import dev.hybridonboarding.admin.FleetStatus;
import dev.hybridonboarding.admin.TakeBack;
import dev.hybridonboarding.admin.TokenAdmin;
import dev.hybridonboarding.aws.DynamoAdminStore;
import dev.hybridonboarding.aws.DynamoCalls;
import dev.hybridonboarding.aws.DynamoRotationStore;
import dev.hybridonboarding.aws.DynamoSharedActivationStore;
import dev.hybridonboarding.aws.KmsCodeVault;
import dev.hybridonboarding.aws.SnsNotifier;
import dev.hybridonboarding.aws.SsmActivationInventory;
import dev.hybridonboarding.aws.SsmActivations;
import dev.hybridonboarding.log.StructuredLog;
import dev.hybridonboarding.rotation.Rotation;
import dev.hybridonboarding.rotation.SharedActivationInstaller;
import dev.hybridonboarding.support.Pacer;
import dev.hybridonboarding.token.TokenIssuer;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.security.SecureRandom;
import java.time.Clock;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;
import software.amazon.awssdk.core.exception.SdkException;

/** {@code hob}: the administrator's tool for fleets, enrollment tokens, enrollments and status. */
@Command(
        name = "hob",
        mixinStandardHelpOptions = true,
        version = "hob 0.1.0",
        description = "Administers Hybrid Onboarding: fleets, enrollment tokens, enrollments and status.",
        subcommands = {
            FleetCommand.class,
            TokenCommand.class,
            EnrollmentsCommand.class,
            StatusCommand.class,
            CommandLine.HelpCommand.class
        })
public final class Hob implements Runnable {

    @Mixin
    GlobalOptions options;

    @Spec
    CommandSpec spec;

    private final Clock clock;
    private Context context;

    public Hob() {
        this(Clock.systemUTC());
    }

    Hob(Clock clock) {
        this.clock = clock;
    }

    /** The deployment and the admin services on it, built on first use so that --help needs no AWS access. */
    final class Context {
        final Deployment deployment;
        final AdminStore store;
        final FleetAdmin fleets;
        final TokenAdmin tokens;

        private Context() {
            deployment = Deployment.resolve(options);
            store = new DynamoAdminStore(deployment.clients.dynamoDb(), deployment.table);
            fleets = new FleetAdmin(store, deployment.templateFleet, deployment.instanceRolePath, clock);
            tokens = new TokenAdmin(store, fleets, new TokenIssuer(new SecureRandom()), clock);
        }

        FleetStatus status() {
            return new FleetStatus(store, fleets, new SsmActivationInventory(deployment.clients.ssm()), clock);
        }

        /** The schedule's work, for one fleet now and for what the last run did; SSM calls at the template's pace. */
        Rotation rotation() {
            SsmActivations activations = new SsmActivations(deployment.clients::ssm);
            DynamoCalls table = new DynamoCalls(deployment.clients.dynamoDb(), deployment.table);
            Rotation.Ports ports = new Rotation.Ports(
                    new DynamoRotationStore(table),
                    new DynamoSharedActivationStore(table),
                    activations,
                    new SsmActivationInventory(deployment.clients.ssm()),
                    new KmsCodeVault(deployment.clients::kms, deployment.codeKeyId),
                    new SnsNotifier(deployment.clients::sns, deployment.topicArn));
            return new Rotation(
                    ports,
                    deployment.rotation,
                    Pacer.realTime(deployment.rotation.ssmPace()),
                    clock,
                    new SecureRandom(),
                    new StructuredLog(new PrintStream(OutputStream.nullOutputStream())));
        }

        /** What revoking a token or disabling a fleet takes back; its installations log nowhere, the CLI reports them. */
        TakeBack takeBack() {
            SecureRandom random = new SecureRandom();
            StructuredLog nowhere = new StructuredLog(new PrintStream(OutputStream.nullOutputStream()));
            SsmActivations activations = new SsmActivations(deployment.clients::ssm);
            SharedActivationInstaller installer = new SharedActivationInstaller(
                    new DynamoSharedActivationStore(deployment.clients.dynamoDb(), deployment.table),
                    activations,
                    new KmsCodeVault(deployment.clients::kms, deployment.codeKeyId),
                    deployment.owner,
                    clock,
                    random,
                    nowhere);
            return new TakeBack(store, activations, installer, clock);
        }
    }

    Context context() {
        if (context == null) {
            context = new Context();
        }
        return context;
    }

    /** The context for a command that changes something: it says on stderr which deployment it changes. */
    Context contextForChange() {
        Context changing = context();
        spec.commandLine().getErr().println("hob: changing " + changing.deployment.description);
        return changing;
    }

    Clock clock() {
        return clock;
    }

    boolean json() {
        return options.json;
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    public static void main(String[] args) {
        System.exit(commandLine(new Hob()).execute(args));
    }

    /** Runs one command with the given output streams; for embedding and for tests. */
    public static int execute(PrintWriter out, PrintWriter err, String... args) {
        CommandLine commandLine = commandLine(new Hob());
        commandLine.setOut(out);
        commandLine.setErr(err);
        int exitCode = commandLine.execute(args);
        out.flush();
        err.flush();
        return exitCode;
    }

    static CommandLine commandLine(Hob hob) {
        return new CommandLine(hob).setExecutionExceptionHandler((error, commandLine, parseResult) -> {
            PrintWriter err = commandLine.getErr();
            if (error instanceof IllegalArgumentException
                    || error instanceof IllegalStateException
                    || error instanceof AdminStore.ConcurrentChangeException) {
                err.println("hob: " + error.getMessage());
                return 2;
            }
            if (error instanceof SdkException) {
                err.println("hob: AWS call failed: " + error.getMessage());
                return 1;
            }
            err.println("hob: unexpected " + error.getClass().getSimpleName() + ": " + error.getMessage());
            return 1;
        });
    }
}
