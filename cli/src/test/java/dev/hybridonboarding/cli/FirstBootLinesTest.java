package dev.hybridonboarding.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class FirstBootLinesTest {

    /** The stack's ApiUrl: a REST API's stage is part of it. */
    private static final String API = "https://abc123.execute-api.eu-west-1.amazonaws.com/prod";

    private static final String TOKEN = "hob_web.abcdefghijkm.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

    private final Map<String, String> lines = FirstBootLines.of(API, TOKEN);

    @Test
    void everyWayOfBuildingAMachineHasItsLine() {
        assertThat(lines).containsOnlyKeys("linux", "cloudInit", "powershell", "autounattend");
    }

    @Test
    void linuxPipesTheScriptToARootShellWithTheTokenInItsEnvironment() {
        assertThat(lines.get("linux"))
                .isEqualTo("curl -fsSL \"" + API + "/v1/install/linux\" | sudo ONBOARDING_TOKEN='" + TOKEN + "' sh");
    }

    @Test
    void cloudInitKeepsTheTokenInAPrivateFileInMemoryNotOnACommandLine() {
        String cloudInit = lines.get("cloudInit");

        assertThat(cloudInit)
                .startsWith("#cloud-config\n")
                .contains("  - path: /run/hybrid-onboarding/token\n    permissions: '0600'\n    content: '" + TOKEN
                        + "'\n")
                .endsWith("  - curl -fsSL \"" + API
                        + "/v1/install/linux\" | ONBOARDING_TOKEN_FILE=/run/hybrid-onboarding/token sh");
        assertThat(cloudInit.substring(cloudInit.indexOf("runcmd:"))).doesNotContain(TOKEN);
    }

    @Test
    void powershellFetchesTheWindowsScriptOverTls12InAChildThatInheritsTheToken() {
        assertThat(lines.get("powershell"))
                .startsWith("$env:ONBOARDING_TOKEN='" + TOKEN
                        + "'; powershell -NoProfile -ExecutionPolicy Bypass -Command \"")
                .contains("[Net.ServicePointManager]::SecurityProtocol='Tls12'; ")
                .contains("DownloadString('" + API + "/v1/install/windows')")
                .endsWith("; Remove-Item Env:ONBOARDING_TOKEN");
    }

    @Test
    void autounattendIsOneFirstLogonCommandWithItsAmpersandsEscaped() {
        String autounattend = lines.get("autounattend");

        assertThat(autounattend)
                .startsWith("<SynchronousCommand wcm:action=\"add\">")
                .contains("<CommandLine>cmd /c \"set ONBOARDING_TOKEN=" + TOKEN + "&amp;&amp; powershell ")
                .contains("DownloadString('" + API + "/v1/install/windows')")
                .endsWith("</SynchronousCommand>");
        assertThat(autounattend.replace("&amp;", "")).doesNotContain("&");
    }
}
