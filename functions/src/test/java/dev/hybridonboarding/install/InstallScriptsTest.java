package dev.hybridonboarding.install;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

class InstallScriptsTest {

    private static final String API = "https://abc123.execute-api.eu-west-1.amazonaws.com";

    private final InstallScripts scripts = new InstallScripts();

    @ParameterizedTest
    @EnumSource(InstallTarget.class)
    void theApiUrlAndTheRegionAreWrittenIntoEveryScript(InstallTarget target) {
        InstallScript script = scripts.render(target, API, "eu-west-1");

        assertThat(script.text())
                .contains("'" + API + "'")
                .contains("'eu-west-1'")
                .doesNotContain(InstallScripts.API_URL_PLACEHOLDER)
                .doesNotContain(InstallScripts.REGION_PLACEHOLDER);
    }

    @Test
    void theLinuxScriptIsAPosixShellScriptThatRunsOnlyOnceFullyRead() {
        String text = scripts.render(InstallTarget.LINUX, API, "eu-west-1").text();

        assertThat(text).startsWith("#!/bin/sh\n");
        assertThat(text.strip()).endsWith("\nmain");
    }

    @Test
    void theEtagFollowsTheContent() {
        InstallScript first = scripts.render(InstallTarget.LINUX, API, "eu-west-1");

        assertThat(scripts.render(InstallTarget.LINUX, API, "eu-west-1").etag()).isEqualTo(first.etag());
        assertThat(scripts.render(InstallTarget.LINUX, API, "us-east-2").etag()).isNotEqualTo(first.etag());
        assertThat(scripts.render(InstallTarget.WINDOWS, API, "eu-west-1").etag())
                .isNotEqualTo(first.etag());
        assertThat(first.etag()).matches("\"[0-9a-f]{32}\"");
    }

    @ParameterizedTest
    @ValueSource(strings = {"https://api.example.com/prod", "http://127.0.0.1:40119", "https://a.b.c:8443/v"})
    void baseUrlsWithAPortOrAStageAreAccepted(String apiUrl) {
        assertThat(scripts.render(InstallTarget.LINUX, apiUrl, "us-east-1").text())
                .contains("API_URL='" + apiUrl + "'");
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "ftp://api.example.com",
                "https://api.example.com/",
                "https://evil.example.com'; rm -rf /; '",
                "https://api.example.com/$(id)",
                "https://user@api.example.com",
                "https://api.example.com?x=1",
                "",
                " "
            })
    void aBaseUrlThatIsNotPlainlyOneIsRefused(String apiUrl) {
        assertThatThrownBy(() -> scripts.render(InstallTarget.LINUX, apiUrl, "us-east-1"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {"US-EAST-1", "us-east", "us-east-1'", "eu-west-1; id", ""})
    void aRegionThatIsNotOneIsRefused(String region) {
        assertThatThrownBy(() -> scripts.render(InstallTarget.WINDOWS, API, region))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void bothSpecialRegionFormsAreAccepted() {
        assertThat(scripts.render(InstallTarget.LINUX, API, "us-gov-west-1").text())
                .contains("REGION='us-gov-west-1'");
        assertThat(scripts.render(InstallTarget.LINUX, API, "cn-north-1").text())
                .contains("REGION='cn-north-1'");
    }
}
