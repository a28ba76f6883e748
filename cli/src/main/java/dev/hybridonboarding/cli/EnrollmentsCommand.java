package dev.hybridonboarding.cli;

import dev.hybridonboarding.enrollment.EnrollmentRecord;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

@Command(
        name = "enrollments",
        mixinStandardHelpOptions = true,
        description = "The audit trail: which token enrolled which machine, from where, with what.",
        subcommands = {EnrollmentsCommand.ListEnrollments.class})
final class EnrollmentsCommand {

    @ParentCommand
    Hob hob;

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List enrollments, newest first.")
    static final class ListEnrollments implements Callable<Integer> {
        @ParentCommand
        EnrollmentsCommand parent;

        @Option(names = "--fleet", paramLabel = "FLEET", description = "Only this fleet's enrollments.")
        String fleet;

        @Option(
                names = "--since",
                paramLabel = "WHEN",
                converter = Durations.Since.class,
                description =
                        "Only since this time: an ISO-8601 instant or a duration back from now, e.g. 24h (default: 7d).")
        Instant since;

        @Option(
                names = "--limit",
                paramLabel = "N",
                defaultValue = "100",
                description = "At most this many (default: ${DEFAULT-VALUE}).")
        int limit;

        @Override
        public Integer call() {
            Hob hob = parent.hob;
            Hob.Context context = hob.context();
            Instant from = since != null ? since : hob.clock().instant().minus(Duration.ofDays(7));
            List<String> fleets = fleet != null
                    ? List.of(context.fleets.show(fleet).fleet().name())
                    : context.fleets.list().stream()
                            .map(view -> view.fleet().name())
                            .toList();
            List<EnrollmentRecord> records = new ArrayList<>();
            for (String name : fleets) {
                records.addAll(context.store.enrollments(name, from, limit));
            }
            records.sort(Comparator.comparing(EnrollmentRecord::createdAt).reversed());
            List<EnrollmentRecord> shown = records.subList(0, Math.min(limit, records.size()));
            PrintWriter out = hob.spec.commandLine().getOut();
            if (hob.json()) {
                Output.json(out, shown.stream().map(ListEnrollments::toJson).toList());
                return 0;
            }
            List<List<String>> rows = new ArrayList<>();
            for (EnrollmentRecord r : shown) {
                rows.add(List.of(
                        Output.time(r.createdAt()),
                        r.enrollmentId(),
                        r.fleet(),
                        r.request().hostname(),
                        r.request().platform().label(),
                        r.requester().sourceIp(),
                        r.tokenId(),
                        r.activationId()));
            }
            Output.table(
                    out,
                    List.of("TIME", "ENROLLMENT", "FLEET", "HOSTNAME", "PLATFORM", "SOURCE IP", "TOKEN", "ACTIVATION"),
                    rows);
            return 0;
        }

        static Map<String, Object> toJson(EnrollmentRecord r) {
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("enrollmentId", r.enrollmentId());
            json.put("createdAt", r.createdAt().toString());
            json.put("fleet", r.fleet());
            json.put("mode", r.mode().label());
            json.put("tokenId", r.tokenId());
            json.put("sourceIp", r.requester().sourceIp());
            json.put("userAgent", r.requester().userAgent());
            json.put("hostname", r.request().hostname());
            json.put("platform", r.request().platform().label());
            json.put("machineId", r.request().machineId().orElse(null));
            json.put("requestedTags", r.request().tags());
            json.put("acceptedTags", r.acceptedTags());
            json.put("activationId", r.activationId());
            json.put("activationExpiresAt", r.activationExpiresAt().toString());
            return json;
        }
    }
}
