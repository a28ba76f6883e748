package dev.hybridonboarding.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `sam build` copies a function's CodeUri folder alone and runs Maven there; functions/ must build without the
 * rest of the repository, with the Maven goals of SAM's Java builder.
 */
class FunctionsBuildAloneIT {

    private final Path projectRoot =
            Path.of(System.getProperty("projectRoot", "..")).toAbsolutePath().normalize();

    private static void copy(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path file : (Iterable<Path>) files::iterator) {
                Path relative = from.relativize(file);
                if (relative.startsWith("target")) {
                    continue;
                }
                Path target = to.resolve(relative.toString());
                if (Files.isDirectory(file)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(file, target);
                }
            }
        }
    }

    private static void maven(Path dir, String... goals) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of("mvn", "-B", "-q", "-ntp"));
        command.addAll(List.of(goals));
        Process process = new ProcessBuilder(command)
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(15, TimeUnit.MINUTES)).isTrue();
        assertThat(process.exitValue())
                .as(String.join(" ", command) + "\n" + output)
                .isZero();
    }

    @Test
    void functionsBuildWithSamsMavenGoalsWhenCopiedAlone(@TempDir Path scratch) throws Exception {
        Path functions = scratch.resolve("functions");
        copy(projectRoot.resolve("functions"), functions);

        maven(functions, "clean", "install");
        maven(functions, "dependency:copy-dependencies", "-DincludeScope=runtime", "-Dmdep.prependGroupId=true");

        List<String> handlers = Files.readAllLines(projectRoot.resolve("template.yaml")).stream()
                .map(String::trim)
                .filter(line -> line.startsWith("Handler: "))
                .map(line -> line.substring("Handler: ".length()).split("::")[0])
                .toList();
        assertThat(handlers)
                .isNotEmpty()
                .allSatisfy(handler -> assertThat(
                                functions.resolve("target/classes/" + handler.replace('.', '/') + ".class"))
                        .exists());
        List<String> jars;
        try (Stream<Path> listed = Files.list(functions.resolve("target/dependency"))) {
            jars = listed.map(path -> path.getFileName().toString()).toList();
        }
        assertThat(jars)
                .anyMatch(jar -> jar.contains("software.amazon.awssdk.ssm-"))
                .anyMatch(jar -> jar.contains("software.amazon.awssdk.dynamodb-"))
                .anyMatch(jar -> jar.contains("url-connection-client"))
                .anyMatch(jar -> jar.contains("aws-lambda-java-events"));
        assertThat(jars)
                .as("one light HTTP client, no Netty or Apache")
                .noneMatch(jar -> jar.contains("netty")
                        || jar.contains("apache-client")
                        || jar.contains("apache5-client")
                        || jar.contains("httpclient"));
        assertThat(jars)
                .as("no test libraries in the package")
                .noneMatch(jar -> jar.contains("junit") || jar.contains("mockito"));
    }
}
