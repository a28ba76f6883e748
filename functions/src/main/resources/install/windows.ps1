# Hybrid Onboarding: first-boot enrollment of a Windows machine into AWS Systems Manager.
#
#   $env:ONBOARDING_TOKEN='...'; powershell -NoProfile -ExecutionPolicy Bypass -Command "[Net.ServicePointManager]::SecurityProtocol='Tls12'; iex ((New-Object Net.WebClient).DownloadString('$API/v1/install/windows'))"
#
# Installs the SSM Agent with the procedure's installer and flags (its Authenticode signature checked first), or
# registers the agent already installed; the enrollment token is traded for an activation first. Safe to run at
# every boot: a machine already registered through this service is left alone. Windows Server 2012 R2 and later.
#
# Environment:
#   ONBOARDING_TOKEN        the enrollment token, or
#   ONBOARDING_TOKEN_FILE   a file holding it (removed once the machine is registered)
#   ONBOARDING_FORCE=1      register again even when this machine is registered through this service
#   ONBOARDING_MAX_WAIT     seconds the retries of a busy service may wait in all (default 300)
#
# Exit status, as for Linux: 0 registered (or already registered), 2 cannot run here (not an administrator, API
# not HTTPS), 3 no token, 4 token or request refused, 5 token used up, 6 unsupported OS or architecture,
# 7 download failed, 8 verification failed, 9 enrollment service unavailable, 10 registration failed,
# 11 agent installation failed.

$ApiUrl = '__HYBRID_ONBOARDING_API_URL__'
$Region = '__HYBRID_ONBOARDING_REGION__'

# The organisations Amazon signs its Windows software as (the certificate's O= attribute).
$AgentSigners = @('Amazon.com Services LLC', 'Amazon Web Services, Inc.')

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 2.0

$ServiceName = 'AmazonSSMAgent'
$StateDir = Join-Path $env:ProgramData 'HybridOnboarding'
$EnrollmentRecord = Join-Path $StateDir 'enrollment.json'
$AgentData = Join-Path $env:ProgramData 'Amazon\SSM\InstanceData'
$AgentExe = Join-Path $env:ProgramFiles 'Amazon\SSM\amazon-ssm-agent.exe'

$script:Token = $null
$script:ActivationCode = $null
$script:WorkDir = $null

function Write-Log([string]$Level, [string]$Message) {
    if ($Level -eq 'Error') {
        [Console]::Error.WriteLine("hybrid-onboarding: error: $Message")
    } else {
        Write-Host "hybrid-onboarding: $Message"
    }
    try {
        if (-not [Diagnostics.EventLog]::SourceExists('HybridOnboarding')) {
            [Diagnostics.EventLog]::CreateEventSource('HybridOnboarding', 'Application')
        }
        [Diagnostics.EventLog]::WriteEntry('HybridOnboarding', $Message, [Diagnostics.EventLogEntryType]$Level)
    } catch {
        # The console has the message; the event log is a convenience.
    }
}

function Clear-Secrets {
    $script:Token = $null
    $script:ActivationCode = $null
    if ($script:WorkDir -and (Test-Path -LiteralPath $script:WorkDir)) {
        Remove-Item -LiteralPath $script:WorkDir -Recurse -Force -ErrorAction SilentlyContinue
    }
}

function Stop-Onboarding([int]$Status, [string]$Reason) {
    Write-Log 'Error' $Reason
    Clear-Secrets
    exit $Status
}

# Text with the activation code masked, for messages that quote what the agent or its installer wrote.
function Hide-Code([string]$Text) {
    if ($script:ActivationCode) {
        return $Text.Replace($script:ActivationCode, '***')
    }
    return $Text
}

# ---------------------------------------------------------------------------------------------------------------
# This machine

function Assert-Platform {
    if ([Environment]::OSVersion.Platform -ne [PlatformID]::Win32NT) {
        Stop-Onboarding 6 "unsupported OS: $([Environment]::OSVersion.VersionString) (this script is for Windows; use /v1/install/linux on Linux)"
    }
    if ([Environment]::OSVersion.Version -lt [Version]'6.3') {
        Stop-Onboarding 6 "unsupported OS: Windows $([Environment]::OSVersion.Version) (Windows Server 2012 R2 or later is required)"
    }
    if (-not [Environment]::Is64BitOperatingSystem) {
        Stop-Onboarding 6 'unsupported architecture: 32-bit Windows (AWS publishes the SSM Agent for 64-bit Windows)'
    }
    $principal = New-Object Security.Principal.WindowsPrincipal([Security.Principal.WindowsIdentity]::GetCurrent())
    if (-not $principal.IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)) {
        Stop-Onboarding 2 'run as Administrator: open PowerShell with "Run as administrator" and run the line again'
    }
    if ($ApiUrl -notmatch '^https://' -and $ApiUrl -notmatch '^http://(127\.0\.0\.1|localhost)(:[0-9]+)?(/|$)') {
        Stop-Onboarding 2 "the enrollment API must be HTTPS, got $ApiUrl"
    }
}

function Get-MachineIdentity {
    $machineGuid = (Get-ItemProperty -Path 'HKLM:\SOFTWARE\Microsoft\Cryptography' -Name MachineGuid).MachineGuid
    if ($machineGuid -notmatch '^[A-Za-z0-9-]{1,128}$') {
        Stop-Onboarding 10 'this machine has no usable MachineGuid under HKLM:\SOFTWARE\Microsoft\Cryptography'
    }
    # What a clone keeps even when its MachineGuid is the same: the hypervisor's or firmware's UUID.
    $hardwareId = ''
    try {
        $hardwareId = [string](Get-CimInstance -ClassName Win32_ComputerSystemProduct).UUID
    } catch {
        $hardwareId = ''
    }
    return @{ MachineId = $machineGuid; HardwareId = $hardwareId }
}

# ---------------------------------------------------------------------------------------------------------------
# The agent's registration

# The instance id the agent would run as: its vault, or (for agents without one) the informational registration file.
function Get-RegisteredInstanceId {
    $vault = Join-Path $AgentData 'Vault\Store\RegistrationKey'
    $registration = Join-Path $AgentData 'registration'
    if (Test-Path -LiteralPath $vault) {
        $match = [regex]::Match((Get-Content -LiteralPath $vault -Raw), '"instanceID"\s*:\s*"(mi-[0-9a-f]+)"')
    } elseif (Test-Path -LiteralPath $registration) {
        $match = [regex]::Match((Get-Content -LiteralPath $registration -Raw), '"ManagedInstanceID"\s*:\s*"(mi-[0-9a-f]+)"')
    } else {
        return ''
    }
    if ($match.Success) { return $match.Groups[1].Value }
    return ''
}

# Whether the agent holds a registration this machine did not make through this service (a cloned image, or a
# registration by hand); exits when it holds ours and nothing is to change.
function Test-StaleRegistration($Identity) {
    $current = Get-RegisteredInstanceId
    if (-not $current) {
        return $false
    }
    $recorded = $null
    if (Test-Path -LiteralPath $EnrollmentRecord) {
        $recorded = Get-Content -LiteralPath $EnrollmentRecord -Raw | ConvertFrom-Json
    }
    if ($recorded -and $recorded.instanceId -eq $current -and $recorded.machineId -eq $Identity.MachineId -and
            $recorded.hardwareId -eq $Identity.HardwareId) {
        if ($env:ONBOARDING_FORCE -ne '1') {
            Write-Log 'Information' "already registered as $current through Hybrid Onboarding; nothing changed (ONBOARDING_FORCE=1 registers again)"
            exit 0
        }
        Write-Log 'Information' "registered as $current, registering again because ONBOARDING_FORCE=1"
    } else {
        Write-Log 'Information' "the agent holds $current, which this machine did not register through Hybrid Onboarding (a cloned image, or a registration by hand): it is cleared first"
    }
    return $true
}

# ---------------------------------------------------------------------------------------------------------------
# The token

function Read-Token {
    if ($env:ONBOARDING_TOKEN) {
        $script:Token = $env:ONBOARDING_TOKEN
    } elseif ($env:ONBOARDING_TOKEN_FILE) {
        if (-not (Test-Path -LiteralPath $env:ONBOARDING_TOKEN_FILE -PathType Leaf)) {
            Stop-Onboarding 3 "no enrollment token: ONBOARDING_TOKEN_FILE=$($env:ONBOARDING_TOKEN_FILE) is not a readable file"
        }
        $script:Token = ([string](Get-Content -LiteralPath $env:ONBOARDING_TOKEN_FILE -TotalCount 1)).Trim()
    }
    # Nothing this script starts may inherit the token.
    Remove-Item -Path Env:ONBOARDING_TOKEN -ErrorAction SilentlyContinue
    if (-not $script:Token) {
        Stop-Onboarding 3 'no enrollment token: set ONBOARDING_TOKEN or ONBOARDING_TOKEN_FILE (create one with: hob token create)'
    }
    if ($script:Token.Length -gt 200 -or $script:Token -cnotmatch '^hob_[A-Za-z0-9._-]+$') {
        Stop-Onboarding 3 'the enrollment token is malformed: expected hob_<fleet>.<id>.<secret> as printed by hob token create'
    }
}

# ---------------------------------------------------------------------------------------------------------------
# Downloading and verifying the agent

function Get-AgentInstaller {
    $suffix = 'amazonaws.com'
    if ($Region -like 'cn-*') { $suffix = 'amazonaws.com.cn' }
    $setup = Join-Path $script:WorkDir 'AmazonSSMAgentSetup.exe'
    # The procedure's URL, then the Region's path-style form.
    $urls = @(
        "https://amazon-ssm-$Region.s3.$suffix/latest/windows_amd64/AmazonSSMAgentSetup.exe",
        "https://s3.$Region.$suffix/amazon-ssm-$Region/latest/windows_amd64/AmazonSSMAgentSetup.exe")
    foreach ($url in $urls) {
        try {
            (New-Object Net.WebClient).DownloadFile($url, $setup)
            Write-Log 'Information' "downloaded $url"
            return @{ Path = $setup; Url = $url }
        } catch {
            Write-Log 'Warning' "download from $url failed ($($_.Exception.Message)); trying the next URL form"
        }
    }
    Stop-Onboarding 7 "download failed: AmazonSSMAgentSetup.exe could not be fetched from amazon-ssm-$Region.s3 or s3.$Region"
}

function Assert-AmazonSignature($Installer) {
    $signature = Get-AuthenticodeSignature -FilePath $Installer.Path
    if ($signature.Status -ne 'Valid') {
        Stop-Onboarding 8 "verification failed: $($Installer.Url) has no valid Authenticode signature ($($signature.Status)); nothing was installed"
    }
    $subject = $signature.SignerCertificate.Subject
    $organisation = ''
    $found = [regex]::Match($subject, '(?:^|,\s*)O=(?:"([^"]+)"|([^,]+))')
    if ($found.Success) {
        $organisation = ($found.Groups[1].Value + $found.Groups[2].Value).Trim()
    }
    if ($AgentSigners -notcontains $organisation) {
        Stop-Onboarding 8 "verification failed: $($Installer.Url) is signed by '$subject', not by Amazon; nothing was installed"
    }
    Write-Log 'Information' "verified: Authenticode signature of $organisation"
}

# ---------------------------------------------------------------------------------------------------------------
# The activation

# One POST /v1/activations: the status (0 for no answer), the body and Retry-After.
function Invoke-ActivationRequest([string]$Body) {
    $answer = @{ Status = 0; Body = ''; RetryAfter = $null; Problem = '' }
    $response = $null
    try {
        $request = [Net.HttpWebRequest]::Create("$ApiUrl/v1/activations")
        $request.Method = 'POST'
        $request.ContentType = 'application/json'
        $request.Accept = 'application/json'
        $request.UserAgent = "hybrid-onboarding-install/1 (windows; $([Environment]::OSVersion.Version))"
        $request.Timeout = 60000
        $request.Headers.Add('Authorization', "Bearer $script:Token")
        $bytes = [Text.Encoding]::UTF8.GetBytes($Body)
        $stream = $request.GetRequestStream()
        $stream.Write($bytes, 0, $bytes.Length)
        $stream.Close()
        $response = $request.GetResponse()
    } catch [Net.WebException] {
        $response = $_.Exception.Response
        if (-not $response) {
            $answer.Problem = $_.Exception.Message
            return $answer
        }
    }
    $answer.Status = [int]$response.StatusCode
    $answer.RetryAfter = $response.Headers['Retry-After']
    $reader = New-Object IO.StreamReader($response.GetResponseStream())
    $answer.Body = $reader.ReadToEnd()
    $reader.Close()
    $response.Close()
    return $answer
}

# Asks for an activation, retrying what a busy or unreachable service answers (429, 502, 503, 504, no answer)
# after Retry-After or a growing delay, each with jitter, within ONBOARDING_MAX_WAIT seconds in all.
function Request-Activation($Identity) {
    $body = ConvertTo-Json -Compress @{ hostname = $env:COMPUTERNAME; platform = 'windows'; machineId = $Identity.MachineId }
    $maxWait = 300
    if ($env:ONBOARDING_MAX_WAIT -match '^[0-9]+$') { $maxWait = [int]$env:ONBOARDING_MAX_WAIT }
    $giveUpAt = (Get-Date).AddSeconds($maxWait)
    $backoff = 2
    $attempt = 0
    Write-Log 'Information' "requesting an activation from $ApiUrl"
    while ($true) {
        $attempt++
        $answer = Invoke-ActivationRequest $body
        $json = $null
        try { $json = $answer.Body | ConvertFrom-Json } catch { $json = $null }
        $errorCode = ''
        $errorMessage = ''
        if ($json -and ($json.PSObject.Properties.Name -contains 'error')) {
            $errorCode = $json.error.code
            $errorMessage = $json.error.message
        }
        switch ($answer.Status) {
            { $_ -eq 200 -or $_ -eq 201 } {
                if (-not $json -or -not $json.activationId -or -not $json.activationCode -or -not $json.region) {
                    Stop-Onboarding 9 "the enrollment service answered $($answer.Status) without an activation"
                }
                $script:ActivationCode = $json.activationCode
                Write-Log 'Information' "got activation $($json.activationId) in $($json.region) (enrollment $($json.enrollmentId))"
                return @{ Id = $json.activationId; Region = $json.region; EnrollmentId = $json.enrollmentId }
            }
            401 { Stop-Onboarding 4 "the enrollment token was refused (401 $errorCode): it is wrong, expired or revoked" }
            403 {
                if ($errorCode -eq 'token_exhausted') {
                    Stop-Onboarding 5 'the enrollment token is used up (403 token_exhausted): create a new one with hob token create'
                }
                Stop-Onboarding 4 "the enrollment was refused (403 $errorCode): $errorMessage"
            }
            { @(0, 429, 502, 503, 504) -contains $_ } { }
            default { Stop-Onboarding 9 "the enrollment service answered $($answer.Status) $($errorCode): $errorMessage" }
        }
        if ($answer.Status -eq 0) { $what = "no answer ($($answer.Problem))" } else { $what = "$($answer.Status) $errorCode" }
        $delay = $backoff
        if ($answer.RetryAfter -match '^[0-9]+$') { $delay = [int]$answer.RetryAfter }
        $delay += Get-Random -Minimum 0 -Maximum ([int][Math]::Floor($delay / 2) + 2)
        if ((Get-Date).AddSeconds($delay) -gt $giveUpAt) {
            Stop-Onboarding 9 "the enrollment service is unavailable: $what; gave up after $attempt requests within ONBOARDING_MAX_WAIT=$($maxWait)s"
        }
        Write-Log 'Warning' "the enrollment service answered $what; retrying in $($delay)s"
        Start-Sleep -Seconds $delay
        if ($backoff -lt 60) { $backoff *= 2 }
    }
}

# ---------------------------------------------------------------------------------------------------------------
# Installing and registering

# The procedure's installer and flags: it installs the agent and registers it with the activation.
function Install-Agent($Installer, $Activation) {
    $installLog = Join-Path $script:WorkDir 'install.log'
    $process = Start-Process -FilePath $Installer.Path -Wait -PassThru -ArgumentList @(
        '/q', '/log', $installLog, "CODE=$script:ActivationCode", "ID=$($Activation.Id)", "REGION=$($Activation.Region)")
    if ($process.ExitCode -ne 0) {
        $lastLine = ''
        if (Test-Path -LiteralPath $installLog) {
            $lastLine = [string](Get-Content -LiteralPath $installLog -Tail 1)
        }
        Stop-Onboarding 11 "the SSM Agent installer failed (exit $($process.ExitCode)): $(Hide-Code $lastLine)"
    }
    Remove-Item -LiteralPath $installLog -Force -ErrorAction SilentlyContinue
    Write-Log 'Information' 'installed the SSM Agent with AmazonSSMAgentSetup.exe'
}

function Register-Agent($Activation, [bool]$ClearFirst) {
    Stop-Service -Name $ServiceName -Force -ErrorAction SilentlyContinue
    if ($ClearFirst) {
        $cleared = & $AgentExe -register -clear 2>&1
        if ($LASTEXITCODE -ne 0) {
            Stop-Onboarding 10 "registration failed: amazon-ssm-agent -register -clear: $(@($cleared)[-1])"
        }
    }
    # The activation code can only reach the agent as an argument, as in the procedure; it is never printed.
    $output = & $AgentExe -register -code $script:ActivationCode -id $Activation.Id -region $Activation.Region -y 2>&1
    if ($LASTEXITCODE -ne 0) {
        $reason = @($output | Where-Object { "$_" -match 'error' })
        if ($reason.Count -eq 0) { $reason = @("amazon-ssm-agent exited with $LASTEXITCODE") }
        Stop-Onboarding 10 "registration failed: $(Hide-Code ([string]$reason[-1]))"
    }
}

function Start-Agent([string]$InstanceId) {
    try {
        Set-Service -Name $ServiceName -StartupType Automatic
        Start-Service -Name $ServiceName
    } catch {
        Stop-Onboarding 10 "registered as $InstanceId but the agent did not start: $($_.Exception.Message)"
    }
}

function Save-Enrollment([string]$InstanceId, $Activation, $Identity) {
    New-Item -ItemType Directory -Path $StateDir -Force | Out-Null
    $record = @{
        instanceId   = $InstanceId
        region       = $Activation.Region
        activationId = $Activation.Id
        enrollmentId = $Activation.EnrollmentId
        machineId    = $Identity.MachineId
        hardwareId   = $Identity.HardwareId
        apiUrl       = $ApiUrl
        registeredAt = (Get-Date).ToUniversalTime().ToString('yyyy-MM-ddTHH:mm:ssZ')
    }
    ConvertTo-Json $record | Set-Content -LiteralPath $EnrollmentRecord -Encoding UTF8
    if ($env:ONBOARDING_TOKEN_FILE) {
        Remove-Item -LiteralPath $env:ONBOARDING_TOKEN_FILE -Force -ErrorAction SilentlyContinue
    }
}

function Invoke-Onboarding {
    [Net.ServicePointManager]::SecurityProtocol = [Net.ServicePointManager]::SecurityProtocol -bor [Net.SecurityProtocolType]::Tls12
    Assert-Platform
    $identity = Get-MachineIdentity
    $clearFirst = Test-StaleRegistration $identity
    Read-Token
    $script:WorkDir = Join-Path $env:TEMP ('hybrid-onboarding-' + [Guid]::NewGuid().ToString('N'))
    New-Item -ItemType Directory -Path $script:WorkDir -Force | Out-Null
    $installed = [bool](Get-Service -Name $ServiceName -ErrorAction SilentlyContinue)
    $installer = $null
    if ($installed) {
        Write-Log 'Information' 'the SSM Agent is already installed; it is not reinstalled'
    } else {
        $installer = Get-AgentInstaller
        Assert-AmazonSignature $installer
    }
    $activation = Request-Activation $identity
    $script:Token = $null
    if ($installed) {
        Register-Agent $activation $clearFirst
    } else {
        if ($clearFirst) {
            # Leftovers of an agent that was removed but whose registration stayed behind.
            Remove-Item -LiteralPath (Join-Path $AgentData 'Vault') -Recurse -Force -ErrorAction SilentlyContinue
            Remove-Item -LiteralPath (Join-Path $AgentData 'registration') -Force -ErrorAction SilentlyContinue
        }
        Install-Agent $installer $activation
    }
    $script:ActivationCode = $null
    $instanceId = Get-RegisteredInstanceId
    if (-not $instanceId) {
        Stop-Onboarding 10 'registration failed: the agent reported success but holds no instance id'
    }
    Start-Agent $instanceId
    Save-Enrollment $instanceId $activation $identity
    Clear-Secrets
    Write-Log 'Information' "registered as $instanceId in $($activation.Region) through Hybrid Onboarding"
}

Invoke-Onboarding
