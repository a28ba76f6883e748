package dev.hybridonboarding.cli;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The lines a machine runs at first boot to enroll with a token, one per way machines are built. They carry the
 * token, so they are shown only when the token is, at its creation.
 */
final class FirstBootLines {

    /** Where the cloud-init line keeps the token: /run is memory, and the script removes the file once registered. */
    static final String CLOUD_INIT_TOKEN_FILE = "/run/hybrid-onboarding/token";

    private FirstBootLines() {}

    /**
     * The lines by name: {@code linux}, {@code cloudInit}, {@code powershell}, {@code autounattend}.
     *
     * @param apiUrl the stack's {@code ApiUrl}, the API's stage included
     */
    static Map<String, String> of(String apiUrl, String token) {
        String linuxScript = apiUrl + "/v1/install/linux";
        String fetchWindowsScript = "[Net.ServicePointManager]::SecurityProtocol='Tls12'; "
                + "iex ((New-Object Net.WebClient).DownloadString('" + apiUrl + "/v1/install/windows'))";
        Map<String, String> lines = new LinkedHashMap<>();
        lines.put("linux", "curl -fsSL \"" + linuxScript + "\" | sudo ONBOARDING_TOKEN='" + token + "' sh");
        lines.put(
                "cloudInit",
                String.join(
                        "\n",
                        "#cloud-config",
                        "write_files:",
                        "  - path: " + CLOUD_INIT_TOKEN_FILE,
                        "    permissions: '0600'",
                        "    content: '" + token + "'",
                        "runcmd:",
                        "  - curl -fsSL \"" + linuxScript + "\" | ONBOARDING_TOKEN_FILE=" + CLOUD_INIT_TOKEN_FILE
                                + " sh"));
        lines.put(
                "powershell",
                "$env:ONBOARDING_TOKEN='" + token + "'; powershell -NoProfile -ExecutionPolicy Bypass -Command \""
                        + fetchWindowsScript + "\"; Remove-Item Env:ONBOARDING_TOKEN");
        lines.put(
                "autounattend",
                String.join(
                        "\n",
                        "<SynchronousCommand wcm:action=\"add\">",
                        "  <Order>1</Order>",
                        "  <Description>Hybrid Onboarding</Description>",
                        "  <CommandLine>cmd /c \"set ONBOARDING_TOKEN=" + token
                                + "&amp;&amp; powershell -NoProfile -ExecutionPolicy Bypass -Command \""
                                + fetchWindowsScript + "\"\"</CommandLine>",
                        "</SynchronousCommand>"));
        return lines;
    }
}
