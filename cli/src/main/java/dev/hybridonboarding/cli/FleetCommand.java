package dev.hybridonboarding.cli;

import dev.hybridonboarding.admin.FleetAdmin.FleetView;
import dev.hybridonboarding.admin.TakeBack;
import dev.hybridonboarding.fleet.Fleet;
import dev.hybridonboarding.fleet.FleetDefaults;
import dev.hybridonboarding.fleet.FleetMode;
import dev.hybridonboarding.rotation.SharedActivationInstaller.Installation;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.UnaryOperator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(
        name = "fleet",
        mixinStandardHelpOptions = true,
        description =
                "Fleets say how a group of machines joins: instance role, tags, single-use or shared activations.",
        subcommands = {
            FleetCommand.Create.class,
            FleetCommand.ListFleets.class,
            FleetCommand.Show.class,
            FleetCommand.Update.class,
            FleetCommand.Disable.class,
            FleetCommand.Enable.class,
            FleetCommand.Rotate.class
        })
final class FleetCommand {

    @ParentCommand
    Hob hob;

    /** Settings both create and update take; on update, only those given change. */
    static final class Settings {
        @Option(
                names = "--instance-role",
                paramLabel = "ROLE_NAME",
                description =
                        "IAM role the machines receive (default: the role the template created); another one must be"
                                + " created under the stack's IAM path and given as path and name, hybrid-onboarding/<stack>/<name>.")
        String instanceRole;

        @Option(
                names = "--tag",
                paramLabel = "KEY=VALUE",
                description =
                        "Tag SSM puts on every machine of the fleet; repeat for more (replaces the fleet's tags).")
        List<String> tags;

        @Option(names = "--no-tags", description = "Remove all of the fleet's tags.")
        boolean noTags;

        @Option(
                names = "--accept-tag-key",
                paramLabel = "KEY",
                description =
                        "Tag key machines may set in their enrollment request; repeat for more (replaces the list).")
        List<String> acceptedTagKeys;

        @Option(names = "--no-accepted-tag-keys", description = "Accept no request tags.")
        boolean noAcceptedTagKeys;

        @Option(
                names = "--registration-limit",
                paramLabel = "N",
                description = "Registrations per shared activation, 1-1000 (shared fleets).")
        Integer registrationLimit;

        @Option(
                names = "--activation-lifetime",
                paramLabel = "DURATION",
                converter = Durations.class,
                description = "Life of each activation, e.g. 1h or 7d (at most 30d).")
        Duration activationLifetime;

        @Option(names = "--description", paramLabel = "TEXT", description = "What the fleet is for.")
        String description;

        UnaryOperator<Fleet> apply() {
            return fleet -> {
                Fleet changed = fleet;
                if (instanceRole != null) {
                    changed = changed.withInstanceRole(instanceRole);
                }
                if (noTags) {
                    changed = changed.withTags(Map.of());
                }
                if (tags != null) {
                    changed = changed.withTags(FleetDefaults.parseTags(String.join(",", tags)));
                }
                if (noAcceptedTagKeys) {
                    changed = changed.withAcceptedTagKeys(Set.of());
                }
                if (acceptedTagKeys != null) {
                    changed = changed.withAcceptedTagKeys(new LinkedHashSet<>(acceptedTagKeys));
                }
                if (registrationLimit != null) {
                    if (changed.mode() != FleetMode.SHARED) {
                        throw new IllegalArgumentException(
                                "--registration-limit applies to shared fleets; single-use activations register one machine");
                    }
                    changed = changed.withRegistrationLimit(registrationLimit);
                }
                if (activationLifetime != null) {
                    changed = changed.withActivationLifetime(activationLifetime);
                }
                if (description != null) {
                    changed = changed.withDescription(description);
                }
                return changed;
            };
        }
    }

    @Command(name = "create", mixinStandardHelpOptions = true, description = "Create a fleet.")
    static final class Create implements Callable<Integer> {
        @ParentCommand
        FleetCommand parent;

        @Parameters(paramLabel = "NAME", description = "1-32 lowercase letters, digits and '-'.")
        String name;

        @Option(
                names = "--mode",
                paramLabel = "MODE",
                defaultValue = "single-use",
                description = "single-use (default): one activation per machine; shared: one per fleet, rotated.")
        String mode;

        @Option(names = "--disabled", description = "Create the fleet disabled.")
        boolean disabled;

        @picocli.CommandLine.Mixin
        Settings settings;

        @Override
        public Integer call() {
            Hob hob = parent.hob;
            UnaryOperator<Fleet> configure = settings.apply();
            Fleet fleet = hob.contextForChange()
                    .fleets
                    .create(name, FleetMode.parse(mode), f -> configure.apply(f).withEnabled(!disabled));
            print(hob, new FleetView(fleet, false), "created");
            return 0;
        }
    }

    @Command(name = "update", mixinStandardHelpOptions = true, description = "Change a fleet's settings.")
    static final class Update implements Callable<Integer> {
        @ParentCommand
        FleetCommand parent;

        @Parameters(paramLabel = "NAME")
        String name;

        @Option(names = "--mode", paramLabel = "MODE", description = "single-use or shared.")
        String mode;

        @picocli.CommandLine.Mixin
        Settings settings;

        @Override
        public Integer call() {
            Hob hob = parent.hob;
            UnaryOperator<Fleet> configure = settings.apply();
            Fleet fleet = hob.contextForChange()
                    .fleets
                    .update(name, f -> configure.apply(mode == null ? f : f.withMode(FleetMode.parse(mode))));
            print(hob, new FleetView(fleet, false), "updated");
            return 0;
        }
    }

    /** Turns a fleet's enrollments on or off; registered machines are not affected either way. */
    abstract static class Switch implements Callable<Integer> {
        @ParentCommand
        FleetCommand parent;

        @Parameters(paramLabel = "NAME")
        String name;

        abstract boolean enabled();

        @Override
        public Integer call() {
            Hob.Context context = parent.hob.contextForChange();
            Fleet fleet = context.fleets.update(name, f -> f.withEnabled(enabled()));
            FleetView view = new FleetView(fleet, false);
            Optional<TakeBack.Report> takenBack = enabled()
                    ? Optional.empty()
                    : Optional.of(context.takeBack().afterFleetDisabled(fleet));
            PrintWriter out = parent.hob.spec.commandLine().getOut();
            if (parent.hob.json()) {
                // One JSON document: the fleet as it is now, and what its disabling took back.
                Map<String, Object> json = new LinkedHashMap<>(toJson(view));
                takenBack.ifPresent(report -> json.put("takenBack", Output.takenBack(report)));
                Output.json(out, json);
            } else {
                print(parent.hob, view, enabled() ? "enabled" : "disabled");
                takenBack.ifPresent(report -> Output.describe(out, report));
            }
            return 0;
        }
    }

    @Command(
            name = "disable",
            mixinStandardHelpOptions = true,
            description = "Stop a fleet's enrollments; registered machines are not affected.")
    static final class Disable extends Switch {
        @Override
        boolean enabled() {
            return false;
        }
    }

    @Command(
            name = "enable",
            mixinStandardHelpOptions = true,
            description = "Let a disabled fleet enroll machines again.")
    static final class Enable extends Switch {
        @Override
        boolean enabled() {
            return true;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List fleets.")
    static final class ListFleets implements Callable<Integer> {
        @ParentCommand
        FleetCommand parent;

        @Override
        public Integer call() {
            Hob hob = parent.hob;
            List<FleetView> fleets = hob.context().fleets.list();
            PrintWriter out = hob.spec.commandLine().getOut();
            if (hob.json()) {
                Output.json(out, fleets.stream().map(FleetCommand::toJson).toList());
                return 0;
            }
            List<List<String>> rows = new ArrayList<>();
            for (FleetView view : fleets) {
                Fleet f = view.fleet();
                rows.add(List.of(
                        f.name(),
                        f.mode().label(),
                        f.enabled() ? "yes" : "no",
                        f.instanceRole(),
                        f.mode() == FleetMode.SHARED ? Integer.toString(f.registrationLimit()) : "1",
                        Output.human(f.activationLifetime()),
                        tags(f.tags()),
                        view.fromTemplate() ? "template" : "stored"));
            }
            Output.table(
                    out,
                    List.of("FLEET", "MODE", "ENABLED", "INSTANCE ROLE", "LIMIT", "LIFETIME", "TAGS", "SOURCE"),
                    rows);
            return 0;
        }
    }

    @Command(
            name = "rotate",
            mixinStandardHelpOptions = true,
            description =
                    "Replace a shared fleet's activation now; the replaced one stays valid for the grace period, then the schedule deletes it.")
    static final class Rotate implements Callable<Integer> {
        @ParentCommand
        FleetCommand parent;

        @Parameters(paramLabel = "NAME")
        String name;

        @Override
        public Integer call() {
            Hob.Context context = parent.hob.contextForChange();
            Fleet fleet = context.fleets.show(name).fleet();
            Installation installation = context.rotation().rotateNow(fleet);
            PrintWriter out = parent.hob.spec.commandLine().getOut();
            if (!(installation instanceof Installation.Installed installed)) {
                parent.hob
                        .spec
                        .commandLine()
                        .getErr()
                        .println("hob: fleet " + name + " was not rotated: "
                                + (installation instanceof Installation.InProgressElsewhere
                                        ? "another rotation is under way; try again in a minute"
                                        : "another activation was installed meanwhile; see 'hob status'"));
                return 1;
            }
            if (parent.hob.json()) {
                Output.json(
                        out,
                        Map.of(
                                "fleet",
                                name,
                                "activationId",
                                installed.activation().activationId(),
                                "expiresAt",
                                installed.activation().expiresAt().toString()));
            } else {
                out.println("Fleet " + name + " now hands out activation "
                        + installed.activation().activationId() + ", expiring "
                        + Output.time(installed.activation().expiresAt()) + ".");
            }
            return 0;
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true, description = "Show one fleet.")
    static final class Show implements Callable<Integer> {
        @ParentCommand
        FleetCommand parent;

        @Parameters(paramLabel = "NAME")
        String name;

        @Override
        public Integer call() {
            print(parent.hob, parent.hob.context().fleets.show(name), null);
            return 0;
        }
    }

    static void print(Hob hob, FleetView view, String what) {
        PrintWriter out = hob.spec.commandLine().getOut();
        if (hob.json()) {
            Output.json(out, toJson(view));
            return;
        }
        Fleet f = view.fleet();
        if (what != null) {
            out.println("Fleet " + f.name() + " " + what + ".");
        }
        List<List<String>> rows = new ArrayList<>();
        rows.add(List.of("name", f.name()));
        rows.add(List.of("mode", f.mode().label()));
        rows.add(List.of("enabled", f.enabled() ? "yes" : "no"));
        rows.add(List.of("instance role", f.instanceRole()));
        rows.add(List.of(
                "registration limit",
                f.mode() == FleetMode.SHARED ? Integer.toString(f.registrationLimit()) : "1 per activation"));
        rows.add(List.of("activation lifetime", Output.human(f.activationLifetime())));
        rows.add(List.of("tags", tags(f.tags())));
        rows.add(List.of("accepted request tag keys", String.join(", ", f.acceptedTagKeys())));
        rows.add(List.of("description", f.description() == null ? "" : f.description()));
        rows.add(List.of(
                "source",
                view.fromTemplate() ? "template parameters (not stored yet)" : "stored, version " + f.version()));
        Output.table(out, List.of("SETTING", "VALUE"), rows);
    }

    static Map<String, Object> toJson(FleetView view) {
        Fleet f = view.fleet();
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("name", f.name());
        json.put("mode", f.mode().label());
        json.put("enabled", f.enabled());
        json.put("instanceRole", f.instanceRole());
        json.put("registrationLimit", f.registrationLimit());
        json.put("activationLifetime", f.activationLifetime().toString());
        json.put("tags", f.tags());
        json.put("acceptedTagKeys", List.copyOf(f.acceptedTagKeys()));
        json.put("description", f.description());
        json.put("source", view.fromTemplate() ? "template" : "stored");
        json.put("version", f.version());
        return json;
    }

    private static String tags(Map<String, String> tags) {
        return String.join(
                ",",
                tags.entrySet().stream()
                        .map(t -> t.getKey() + "=" + t.getValue())
                        .toList());
    }
}
