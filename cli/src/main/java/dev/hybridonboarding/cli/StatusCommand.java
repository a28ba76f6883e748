package dev.hybridonboarding.cli;

import dev.hybridonboarding.admin.FleetStatus;
import dev.hybridonboarding.fleet.FleetMode;
import dev.hybridonboarding.rotation.Rotation;
import dev.hybridonboarding.rotation.RotationRun;
import dev.hybridonboarding.rotation.SharedActivation;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

@Command(
        name = "status",
        mixinStandardHelpOptions = true,
        description =
                "Per fleet: the current activation, when it expires and is rotated, how full it is, the machines registered;"
                        + " and what the last scheduled rotation run did.")
final class StatusCommand implements Callable<Integer> {

    @ParentCommand
    Hob hob;

    @Option(names = "--fleet", paramLabel = "FLEET", description = "Only this fleet.")
    String fleet;

    private Rotation rotation;

    @Override
    public Integer call() {
        Instant now = hob.clock().instant();
        List<FleetStatus.Line> lines = hob.context().status().report(Optional.ofNullable(fleet));
        rotation = hob.context().rotation();
        PrintWriter out = hob.spec.commandLine().getOut();
        if (hob.json()) {
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("fleets", lines.stream().map(this::toJson).toList());
            json.put(
                    "lastRotationRun",
                    rotation.lastRun().map(StatusCommand::runJson).orElse(null));
            Output.json(out, json);
            return 0;
        }
        out.println("Deployment: " + hob.context().deployment.description);
        List<List<String>> rows = new ArrayList<>();
        for (FleetStatus.Line line : lines) {
            boolean shared = line.fleet().mode() == FleetMode.SHARED;
            rows.add(List.of(
                    line.fleet().name(),
                    line.fleet().mode().label(),
                    line.fleet().enabled() ? "yes" : "no",
                    line.current().map(SharedActivation::activationId).orElse(shared ? "none yet" : "one per machine"),
                    line.current().map(a -> Output.relative(a.expiresAt(), now)).orElse("-"),
                    line.current()
                            .map(a -> Output.relative(rotation.rotatesAt(a), now))
                            .orElse("-"),
                    line.used() + "/" + line.limit(),
                    Integer.toString(line.liveActivations()),
                    Integer.toString(line.registeredMachines())));
        }
        Output.table(
                out,
                List.of(
                        "FLEET",
                        "MODE",
                        "ENABLED",
                        "CURRENT ACTIVATION",
                        "EXPIRES",
                        "ROTATES",
                        "USED/LIMIT",
                        "LIVE ACTIVATIONS",
                        "MACHINES"),
                rows);
        out.println(
                rotation.lastRun().map(run -> lastRun(run, now)).orElse("No scheduled rotation run has finished yet."));
        return 0;
    }

    private static String lastRun(RotationRun run, Instant now) {
        return "Last rotation run " + Output.relative(run.startedAt(), now) + ": rotated "
                + run.rotated().size() + " fleet(s), deleted "
                + (run.deletedSpent() + run.deletedReplaced() + run.deletedOrphans()) + " activation(s), "
                + run.foreign()
                + " not ours left alone" + (run.deferred() > 0 ? ", " + run.deferred() + " left for the next run" : "")
                + (run.failed().isEmpty() ? "." : "; FAILED: " + run.failed());
    }

    private static Map<String, Object> runJson(RotationRun run) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("startedAt", run.startedAt().toString());
        json.put("rotated", run.rotated());
        json.put("failed", run.failed());
        json.put("deletedSpent", run.deletedSpent());
        json.put("deletedReplaced", run.deletedReplaced());
        json.put("deletedOrphans", run.deletedOrphans());
        json.put("foreign", run.foreign());
        json.put("deferred", run.deferred());
        return json;
    }

    private Map<String, Object> toJson(FleetStatus.Line line) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("fleet", line.fleet().name());
        json.put("mode", line.fleet().mode().label());
        json.put("enabled", line.fleet().enabled());
        json.put(
                "currentActivationId",
                line.current().map(SharedActivation::activationId).orElse(null));
        json.put(
                "currentExpiresAt",
                line.current().map(a -> a.expiresAt().toString()).orElse(null));
        json.put(
                "rotatesAt",
                line.current().map(a -> rotation.rotatesAt(a).toString()).orElse(null));
        json.put("used", line.used());
        json.put("limit", line.limit());
        json.put("liveActivations", line.liveActivations());
        json.put("registeredMachines", line.registeredMachines());
        return json;
    }
}
