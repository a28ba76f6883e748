package dev.hybridonboarding.cli;

import dev.hybridonboarding.admin.FleetStatus;
import dev.hybridonboarding.fleet.FleetMode;
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

@Command(name = "status", mixinStandardHelpOptions = true,
        description = "Per fleet: the current activation, its expiry, how full it is, and the machines registered.")
final class StatusCommand implements Callable<Integer> {

    @ParentCommand
    Hob hob;

    @Option(names = "--fleet", paramLabel = "FLEET", description = "Only this fleet.")
    String fleet;

    @Override
    public Integer call() {
        Instant now = hob.clock().instant();
        List<FleetStatus.Line> lines = hob.context().status().report(Optional.ofNullable(fleet));
        PrintWriter out = hob.spec.commandLine().getOut();
        if (hob.json()) {
            Output.json(out, lines.stream().map(StatusCommand::toJson).toList());
            return 0;
        }
        out.println("Deployment: " + hob.context().deployment.description);
        List<List<String>> rows = new ArrayList<>();
        for (FleetStatus.Line line : lines) {
            boolean shared = line.fleet().mode() == FleetMode.SHARED;
            rows.add(List.of(line.fleet().name(), line.fleet().mode().label(), line.fleet().enabled() ? "yes" : "no",
                    line.currentActivationId().orElse(shared ? "none yet" : "one per machine"),
                    line.currentExpiresAt().map(at -> Output.relative(at, now)).orElse("-"),
                    line.used() + "/" + line.limit(),
                    Integer.toString(line.liveActivations()),
                    Integer.toString(line.registeredMachines())));
        }
        Output.table(out, List.of("FLEET", "MODE", "ENABLED", "CURRENT ACTIVATION", "EXPIRES", "USED/LIMIT", "LIVE ACTIVATIONS",
                "MACHINES"), rows);
        return 0;
    }

    private static Map<String, Object> toJson(FleetStatus.Line line) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("fleet", line.fleet().name());
        json.put("mode", line.fleet().mode().label());
        json.put("enabled", line.fleet().enabled());
        json.put("currentActivationId", line.currentActivationId().orElse(null));
        json.put("currentExpiresAt", line.currentExpiresAt().map(Instant::toString).orElse(null));
        json.put("used", line.used());
        json.put("limit", line.limit());
        json.put("liveActivations", line.liveActivations());
        json.put("registeredMachines", line.registeredMachines());
        return json;
    }
}
