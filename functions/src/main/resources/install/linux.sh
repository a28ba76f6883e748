#!/bin/sh
# Hybrid Onboarding: first-boot enrollment of a Linux machine into AWS Systems Manager.
#
#   curl -fsSL "$API/v1/install/linux" | sudo ONBOARDING_TOKEN=... sh
#
# Installs the SSM Agent (verified against AWS's signing key), trades the enrollment token for an activation and
# registers the agent with it. Safe to run at every boot: a machine already registered through this service is
# left alone.
#
# Environment:
#   ONBOARDING_TOKEN        the enrollment token, or
#   ONBOARDING_TOKEN_FILE   a file holding it (removed once the machine is registered)
#   ONBOARDING_FORCE=1      register again even when this machine is registered through this service
#   ONBOARDING_MAX_WAIT     seconds the retries of a busy service may wait in all (default 300)
#
# Exit status: 0 registered (or already registered), 2 cannot run here (not root, curl missing, API not HTTPS),
# 3 no token, 4 token or request refused, 5 token used up, 6 unsupported OS or architecture, 7 download failed,
# 8 verification failed, 9 enrollment service unavailable, 10 registration failed, 11 agent installation failed.

API_URL='__HYBRID_ONBOARDING_API_URL__'
REGION='__HYBRID_ONBOARDING_REGION__'

# AWS's key for the SSM Agent's deb and rpm packages ("SSM Agent <ssm-agent-signer@amazon.com>"), as published in
# "Verifying the signature of SSM Agent"; the packages' detached .sig files are checked against it.
AGENT_SIGNING_KEY_FINGERPRINT='DE92C7DA3E56E92331D62A36BC1F495C97DD04ED'
AGENT_SIGNING_KEY='
mQENBGTtIoIBCAD2M1aoGIE0FXynAHM/jtuvdAVVaX3Q4ZejTqrX+Jq8ElAMhxyO
GzHu2CDtCYxtVxXK3unptLVt2kGgJwNbhYC393jDeZx5dCda4Nk2YXX1UK3P461i
axuuXRzMYvfM4RZn+7bJTu635tA07q9Xm6MGD4TCTvsjBfViOxbrxOg5ozWbJdSw
fSR8MwUrRfmFpAefRlYfCEuZ8FHywa9U6jLeWt2O/kqrZliJOAGjGzXtB7EZkqKb
faCCxikjjvhF1awdEqSK4DQorC/OvQc4I5kP5y2CJbtXvXO73QH2yE75JMDIIx9x
rOsIRUoSfK3UrWaOVuAnEEn5ueKzZNqGG1J1ABEBAAG0J1NTTSBBZ2VudCA8c3Nt
LWFnZW50LXNpZ25lckBhbWF6b24uY29tPokBPwQTAQIAKQUCZO0iggIbLwUJAsaY
gAcLCQgHAwIBBhUIAgkKCwQWAgMBAh4BAheAAAoJELwfSVyX3QTt+icH/A//tJsW
I+7Ay8FGJh8dJPNy++HIBjVSFdGNJFWNbw1Z8uZcazHEcUCH3FhW4CLQLTZ3OVPz
qvFwzDtRDVIN/Y9EGDhLMFvimrE+/z4olWsJ5DANf6BnX8I5UNIcRt5d8SWH1BEJ
2FWIBZFgKyTDI6XzRC5x4ahtgpOVAGeeKDehs+wh6Ga4W0/K4GsviP1Kyr+Ic2br
NAIq0q0IHyN1q9zam3Y0+jKwEuNmTj+Bjyzshyv/X8S0JWWoXJhkexkOvWeBYNNt
5wI4QcSteyfIzp6KlQF8q11Hzz9D9WaPfcBEYyhq7vLEARobkbQMBzpkmaZua241
0RaWG50HRvrgm4aJAhwEEAECAAYFAmTtIoMACgkQfdCXo9rX9fwwqBAAzkTgYJ38
sWgxpn7Ux/81F2BWR1sVkmP79i++fXyJlKI8xtcJFQZhzeUos69KBUCy7mgx5bYU
P7NA5o9DUbwz/QS0i1Cqm4+jtFlX0MXe4FikXcqfDPnnzN8mVB2H+fa43iHR1PuH
GgUWuNdxzSoIYRmLZXWmeN5YXPcmixlhLzcE2TOQn1mOKcu2fKdLtBQ8KiEkmjiu
naoLxnUcyk1zMhaha+LzEkQdOyasix0ggylN2ViWVnlmfy0niuXDxW0qZWPdLStF
OODiX3iqGmkH3rDfy6nvxxBR4GIs+MGD72fpWzzrINDgkGI2i2t1+0AX/mps3aTy
+ftlgrim8stYWB58XXDAb0vad06sNye5/zDzfr0I9HupJrTzFhaYJQjWPaSlINto
LDJnBXohiUIPRYRcy/k012oFHDWZHT3H6CyjK9UD5UlxA9H7dsJurANs6FOVRe+7
34uJyxDZ/W7zLG4AVG0zxibrUSoaJxwcOjVPVsQAlrwG/GTs7tcAccsJqbJ1Py/w
9AgJl8VU2qc8POsHNXk348gjP7C8PDnGMpZFzr9f5INctRushpiv7onX+aWJVX7T
n2uX/TP3LCyH/MsrNJrJOQnMYFRLQitciP0E+F+eA3v9CY6mDuyb8JSx5HuGGUsG
S4bKBOcA8vimEpwPoT8CE7fdsZ3Qkwdu+pw=
'

AGENT=amazon-ssm-agent
AGENT_DATA=/var/lib/amazon/ssm
STATE_DIR=/var/lib/hybrid-onboarding
ENROLLMENT_RECORD=$STATE_DIR/enrollment

set -u
umask 077
# sudo and cloud-init may run this with a short PATH; the tools below live in the usual places.
PATH="$PATH:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
export PATH

workdir=''
token=''
activation_code=''

log() {
  log_level=$1
  shift
  if [ "$log_level" = err ]; then
    printf 'hybrid-onboarding: error: %s\n' "$*" >&2
  else
    printf 'hybrid-onboarding: %s\n' "$*" >&2
  fi
  logger -t hybrid-onboarding -p "user.$log_level" "$*" </dev/null >/dev/null 2>&1 || :
}

fail() {
  fail_status=$1
  shift
  log err "$*"
  exit "$fail_status"
}

cleanup() {
  token=''
  activation_code=''
  if [ -n "$workdir" ]; then
    rm -rf "$workdir"
  fi
}

# Text with the activation code masked, for messages that quote what the agent printed.
redact() {
  redacted=$1
  if [ -n "$activation_code" ]; then
    while :; do
      case "$redacted" in
        *"$activation_code"*) redacted="${redacted%%"$activation_code"*}***${redacted#*"$activation_code"}" ;;
        *) break ;;
      esac
    done
  fi
  printf '%s' "$redacted"
}

now() {
  date +%s
}

# A random whole number from 0 to $1, so that machines told to wait the same time do not return together.
jitter() {
  jitter_bound=$1
  jitter_random=$(od -An -N2 -tu2 /dev/urandom 2>/dev/null | tr -d ' \n')
  case "$jitter_random" in
    '' | *[!0-9]*) jitter_random=$$ ;;
  esac
  echo $((jitter_random % (jitter_bound + 1)))
}

# ---------------------------------------------------------------------------------------------------------------
# This machine

os_release_value() {
  sed -n "s/^$1=//p" /etc/os-release | head -n 1 | tr -d "\"'"
}

# Sets os_id and os_version from /etc/os-release, or from the release files of systems older than it.
read_os_release() {
  os_id=''
  os_version=''
  os_like=''
  if [ -r /etc/os-release ]; then
    os_id=$(os_release_value ID)
    os_version=$(os_release_value VERSION_ID)
    os_like=$(os_release_value ID_LIKE)
    return
  fi
  for release_file in /etc/system-release /etc/redhat-release; do
    if [ -r "$release_file" ]; then
      release_line=$(head -n 1 "$release_file")
      os_version=$(printf '%s\n' "$release_line" | sed -n 's/.*release \([0-9][0-9.]*\).*/\1/p')
      case "$release_line" in
        'Amazon Linux AMI'*) os_id=amzn ;;
        CentOS*) os_id=centos ;;
        'Red Hat Enterprise Linux'*) os_id=rhel ;;
      esac
      return
    fi
  done
}

# Sets package_format, installer, init_system and package_dir for this distribution and architecture, with the
# package manager and service commands of the manual procedure.
detect_platform() {
  read_os_release
  os_major=${os_version%%.*}
  family=''
  case "$os_id" in
    amzn)
      case "$os_version" in
        2) family=rpm-yum-systemd ;;
        20[0-9][0-9].*) family=rpm-yum-upstart ;;
        20[2-9][0-9]) family=rpm-dnf-systemd ;;
      esac
      ;;
    rhel | centos | rocky | almalinux | ol)
      case "$os_major" in
        6) family=rpm-yum-upstart ;;
        7) family=rpm-yum-systemd ;;
        8 | 9 | [1-9][0-9]) family=rpm-dnf-systemd ;;
      esac
      ;;
    sles | sled | opensuse-leap)
      case "$os_major" in
        1[2-9] | [2-9][0-9]) family=rpm-sles-systemd ;;
      esac
      ;;
    ubuntu | debian | raspbian)
      family=deb-dpkg-service
      ;;
    *)
      case " $os_like " in
        *' debian '* | *' ubuntu '*) family=deb-dpkg-service ;;
      esac
      ;;
  esac
  if [ -z "$family" ]; then
    fail 6 "unsupported OS: ${os_id:-unknown} ${os_version:-} (supported: Amazon Linux 1, 2 and 2023, RHEL and CentOS 6 and later, SLES 12 and later, Ubuntu, Debian, Raspbian)"
  fi
  machine_arch=$(uname -m)
  case "$machine_arch" in
    x86_64 | amd64) arch=amd64 ;;
    i386 | i486 | i586 | i686) arch=386 ;;
    aarch64 | arm64) arch=arm64 ;;
    armv6* | armv7* | armhf | arm) arch=arm ;;
    *) fail 6 "unsupported architecture: $machine_arch (supported: x86_64, i686, aarch64, armv6/armv7)" ;;
  esac
  package_format=${family%%-*}
  installer=${family#*-}
  installer=${installer%-*}
  init_system=${family##*-}
  if [ "$package_format" = rpm ]; then
    if [ "$arch" = arm ]; then
      fail 6 "unsupported architecture: $machine_arch (AWS publishes the rpm for x86_64, i686 and aarch64 only)"
    fi
    package_dir=linux_$arch
  else
    package_dir=debian_$arch
  fi
  log info "detected ${os_id} ${os_version} on ${machine_arch}: ${package_dir} package, ${installer}, ${init_system}"
}

is_mount_point() {
  [ -r /proc/self/mountinfo ] && cut -d ' ' -f 5 /proc/self/mountinfo | grep -qxF "$1"
}

# The procedure's note on MachineFingerprintDoesNotMatch: an id that systemd only mounted over /etc/machine-id
# changes at the next boot, and the agent's identity with it. It is written to disk before anything uses it.
persist_machine_id() {
  if is_mount_point /etc/machine-id; then
    log info "the machine id is mounted, not stored: making it persist (umount /etc/machine-id; systemd-machine-id-setup)"
    umount /etc/machine-id </dev/null || fail 10 "cannot unmount /etc/machine-id to make the machine id persist"
    systemd-machine-id-setup </dev/null >/dev/null || fail 10 "systemd-machine-id-setup failed to store a machine id"
  fi
  machine_id=''
  for id_file in /etc/machine-id /var/lib/dbus/machine-id; do
    if [ -s "$id_file" ]; then
      machine_id=$(head -n 1 "$id_file" | tr -d ' \t\r')
      break
    fi
  done
  case "$machine_id" in
    '' | *[!0-9a-f]*)
      if command -v systemd-machine-id-setup >/dev/null 2>&1; then
        systemd-machine-id-setup </dev/null >/dev/null 2>&1 || :
      fi
      if [ ! -s /etc/machine-id ]; then
        tr -d '\n-' </proc/sys/kernel/random/uuid >/etc/machine-id && chmod 0444 /etc/machine-id
      fi
      machine_id=$(head -n 1 /etc/machine-id | tr -d ' \t\r')
      ;;
  esac
  case "$machine_id" in
    '' | *[!0-9a-f]*) fail 10 "this machine has no usable machine id in /etc/machine-id" ;;
  esac
  # What a clone keeps even when its machine id is reset: the hypervisor's or board's serial.
  hardware_id=$(cat /sys/class/dmi/id/product_uuid 2>/dev/null || sed -n 's/^Serial[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo 2>/dev/null)
  hardware_id=$(printf '%s' "$hardware_id" | tr -cd 'A-Za-z0-9-')
}

host_name() {
  host=$(uname -n | tr -c 'A-Za-z0-9._\n-' '-' | sed 's/^[^A-Za-z0-9]*//; s/[^A-Za-z0-9]*$//' | cut -c 1-253)
  if [ -z "$host" ]; then
    host="host-$(printf '%s' "$machine_id" | cut -c 1-12)"
  fi
  printf '%s' "$host"
}

# ---------------------------------------------------------------------------------------------------------------
# The agent's registration

# The instance id the agent would run as: its vault, or (for agents without one) the informational registration file.
registered_instance_id() {
  if [ -f "$AGENT_DATA/Vault/Store/RegistrationKey" ]; then
    sed -n 's/.*"instanceID"[[:space:]]*:[[:space:]]*"\(mi-[0-9a-f]*\)".*/\1/p' "$AGENT_DATA/Vault/Store/RegistrationKey" | head -n 1
  elif [ -f "$AGENT_DATA/registration" ]; then
    sed -n 's/.*"ManagedInstanceID"[[:space:]]*:[[:space:]]*"\(mi-[0-9a-f]*\)".*/\1/p' "$AGENT_DATA/registration" | head -n 1
  fi
}

record_value() {
  [ -f "$ENROLLMENT_RECORD" ] && sed -n "s/^$1=//p" "$ENROLLMENT_RECORD" | head -n 1
}

# Sets clear_first when the agent holds a registration this machine did not make through this service (a cloned
# image, or a registration by hand); exits when it holds ours and nothing is to change.
check_registration() {
  clear_first=0
  current_instance=$(registered_instance_id)
  if [ -z "$current_instance" ]; then
    return
  fi
  recorded_instance=$(record_value instance_id)
  recorded_machine=$(record_value machine_id)
  recorded_hardware=$(record_value hardware_id)
  if [ "$current_instance" = "$recorded_instance" ] && [ "$machine_id" = "$recorded_machine" ] \
    && [ "$hardware_id" = "$recorded_hardware" ]; then
    if [ "${ONBOARDING_FORCE:-}" != 1 ]; then
      log info "already registered as $current_instance through Hybrid Onboarding; nothing changed (ONBOARDING_FORCE=1 registers again)"
      exit 0
    fi
    log info "registered as $current_instance, registering again because ONBOARDING_FORCE=1"
  else
    log info "the agent holds $current_instance, which this machine did not register through Hybrid Onboarding (a cloned image, or a registration by hand): it is cleared first"
  fi
  clear_first=1
}

service_command() {
  case "$init_system" in
    upstart) "$1" "$AGENT" </dev/null ;;
    systemd) systemctl "$1" "$AGENT" </dev/null ;;
    service) service "$AGENT" "$1" </dev/null ;;
  esac
}

# ---------------------------------------------------------------------------------------------------------------
# The token

read_token() {
  if [ -n "${ONBOARDING_TOKEN:-}" ]; then
    token=$ONBOARDING_TOKEN
  elif [ -n "${ONBOARDING_TOKEN_FILE:-}" ]; then
    if [ ! -f "$ONBOARDING_TOKEN_FILE" ] || [ ! -r "$ONBOARDING_TOKEN_FILE" ]; then
      fail 3 "no enrollment token: ONBOARDING_TOKEN_FILE=$ONBOARDING_TOKEN_FILE is not a readable file"
    fi
    IFS= read -r token <"$ONBOARDING_TOKEN_FILE" || :
    token=$(printf '%s' "$token" | tr -d ' \t\r')
  fi
  # Nothing this script starts may inherit the token.
  unset ONBOARDING_TOKEN
  if [ -z "$token" ]; then
    fail 3 "no enrollment token: set ONBOARDING_TOKEN or ONBOARDING_TOKEN_FILE (create one with: hob token create)"
  fi
  case "$token" in
    hob_*) token_body=${token#hob_} ;;
    *) token_body='' ;;
  esac
  case "$token_body" in
    '' | *[!A-Za-z0-9._-]*)
      token=''
      fail 3 "the enrollment token is malformed: expected hob_<fleet>.<id>.<secret> as printed by hob token create"
      ;;
  esac
  if [ ${#token} -gt 200 ]; then
    token=''
    fail 3 "the enrollment token is malformed: it is longer than 200 characters"
  fi
}

# ---------------------------------------------------------------------------------------------------------------
# Downloading and verifying the agent

fetch() {
  curl -fsS -L --proto =https --proto-redir =https --connect-timeout 15 --max-time 600 --retry 2 \
    -o "$2" "$1" </dev/null 2>"$workdir/curl.err"
}

download_agent() {
  package_file="$workdir/amazon-ssm-agent.$package_format"
  signature_file="$package_file.sig"
  case "$REGION" in
    cn-*) s3_domain=amazonaws.com.cn ;;
    *) s3_domain=amazonaws.com ;;
  esac
  # The procedure's two URL forms: s3.<region> answers in every Region, s3-<region> only in the older ones.
  for s3_host in "s3.$REGION.$s3_domain" "s3-$REGION.$s3_domain"; do
    package_url="https://$s3_host/amazon-ssm-$REGION/latest/$package_dir/amazon-ssm-agent.$package_format"
    if fetch "$package_url" "$package_file" && fetch "$package_url.sig" "$signature_file"; then
      log info "downloaded $package_url"
      return
    fi
    log warning "download from $package_url failed ($(tail -n 1 "$workdir/curl.err" 2>/dev/null)); trying the next URL form"
  done
  fail 7 "download failed: the SSM Agent package could not be fetched from s3.$REGION or s3-$REGION"
}

verify_agent() {
  keyring="$workdir/ssm-agent-signing-key.gpg"
  if ! printf '%s' "$AGENT_SIGNING_KEY" | base64 -d >"$keyring" 2>/dev/null; then
    fail 8 "verification failed: the SSM Agent signing key cannot be decoded (base64 is missing?)"
  fi
  if command -v gpgv >/dev/null 2>&1; then
    gpg_status=$(gpgv --status-fd 1 --keyring "$keyring" "$signature_file" "$package_file" </dev/null 2>/dev/null)
  elif command -v gpgv2 >/dev/null 2>&1; then
    gpg_status=$(gpgv2 --status-fd 1 --keyring "$keyring" "$signature_file" "$package_file" </dev/null 2>/dev/null)
  else
    gpg_command=''
    for candidate in gpg2 gpg; do
      if command -v "$candidate" >/dev/null 2>&1; then
        gpg_command=$candidate
        break
      fi
    done
    if [ -z "$gpg_command" ]; then
      fail 8 "verification failed: neither gpgv nor gpg is installed to check the package signature (install gnupg)"
    fi
    mkdir -m 700 "$workdir/gnupg"
    gpg_status=$("$gpg_command" --batch --no-tty --homedir "$workdir/gnupg" --no-default-keyring --keyring "$keyring" \
      --trust-model always --status-fd 1 --verify "$signature_file" "$package_file" </dev/null 2>/dev/null)
  fi
  # VALIDSIG ends with the primary key's fingerprint; a bad or foreign signature never yields it.
  if printf '%s\n' "$gpg_status" | grep -q "^\[GNUPG:\] VALIDSIG .* $AGENT_SIGNING_KEY_FINGERPRINT\$"; then
    log info "verified: signed by the SSM Agent key $AGENT_SIGNING_KEY_FINGERPRINT"
    return
  fi
  case "$gpg_status" in
    *'[GNUPG:] BADSIG '*) gpg_reason='the signature does not match the package' ;;
    *'[GNUPG:] NO_PUBKEY '* | *'[GNUPG:] ERRSIG '*) gpg_reason='it is signed with another key' ;;
    *) gpg_reason='no valid signature' ;;
  esac
  fail 8 "verification failed: $package_url is not signed by the SSM Agent key $AGENT_SIGNING_KEY_FINGERPRINT ($gpg_reason); nothing was installed"
}

install_agent() {
  if command -v "$AGENT" >/dev/null 2>&1; then
    log info "the SSM Agent is already installed; it is not reinstalled"
    return
  fi
  download_agent
  verify_agent
  case "$installer" in
    yum) yum install -y "$package_file" </dev/null >"$workdir/install.log" 2>&1 ;;
    dnf) dnf install -y "$package_file" </dev/null >"$workdir/install.log" 2>&1 ;;
    sles) rpm --install "$package_file" </dev/null >"$workdir/install.log" 2>&1 ;;
    dpkg) dpkg -i "$package_file" </dev/null >"$workdir/install.log" 2>&1 ;;
  esac
  install_status=$?
  if [ "$install_status" -ne 0 ] || ! command -v "$AGENT" >/dev/null 2>&1; then
    fail 11 "the SSM Agent package did not install ($installer exit $install_status: $(tail -n 1 "$workdir/install.log"))"
  fi
  log info "installed the SSM Agent with $installer"
}

# ---------------------------------------------------------------------------------------------------------------
# The activation

api_transport() {
  case "$API_URL" in
    https://*) api_proto='=https' ;;
    # Only the local stack on this machine may be spoken to without TLS.
    http://127.0.0.1:* | http://127.0.0.1/* | http://localhost:* | http://localhost/* | 'http://[::1]:'*) api_proto='=http' ;;
    *) fail 2 "the enrollment API must be HTTPS, got $API_URL" ;;
  esac
}

json_string() {
  sed -n "s/.*\"$1\"[[:space:]]*:[[:space:]]*\"\\([^\"]*\\)\".*/\\1/p" | head -n 1 | sed 's#\\/#/#g'
}

# One POST /v1/activations; sets api_status, api_body and api_retry_after. The token reaches curl on its standard
# input, never on its command line.
post_activation() {
  api_retry_after=''
  api_response=$(printf 'url = "%s/v1/activations"\nheader = "Authorization: Bearer %s"\n' "$API_URL" "$token" |
    curl -sS -K - --proto "$api_proto" -X POST -H 'Content-Type: application/json' -H 'Accept: application/json' \
      -A "hybrid-onboarding-install/1 (linux; $os_id $os_version; $arch)" --data-binary "@$workdir/request.json" \
      -D "$workdir/headers" -w '\n%{http_code}' --connect-timeout 10 --max-time 60 2>"$workdir/curl.err")
  api_status=$(printf '%s\n' "$api_response" | tail -n 1)
  api_body=$(printf '%s\n' "$api_response" | sed '$d')
  if [ -f "$workdir/headers" ]; then
    api_retry_after=$(tr -d '\r' <"$workdir/headers" | sed -n 's/^[Rr][Ee][Tt][Rr][Yy]-[Aa][Ff][Tt][Ee][Rr]:[[:space:]]*\([0-9][0-9]*\)[[:space:]]*$/\1/p' | tail -n 1)
    rm -f "$workdir/headers"
  fi
  case "$api_status" in
    [1-5][0-9][0-9]) ;;
    *) api_status=000 ;;
  esac
}

# Asks for an activation, retrying what a busy or unreachable service answers (429, 502, 503, 504, no answer)
# after Retry-After or a growing delay, each with jitter, within ONBOARDING_MAX_WAIT seconds in all.
request_activation() {
  printf '{"hostname":"%s","platform":"linux","machineId":"%s"}' "$(host_name)" "$machine_id" >"$workdir/request.json"
  max_wait=${ONBOARDING_MAX_WAIT:-300}
  case "$max_wait" in
    '' | *[!0-9]*) max_wait=300 ;;
  esac
  give_up_at=$(($(now) + max_wait))
  attempt=0
  backoff=2
  log info "requesting an activation from $API_URL"
  while :; do
    attempt=$((attempt + 1))
    post_activation
    error_code=$(printf '%s' "$api_body" | json_string code)
    case "$api_status" in
      200 | 201)
        activation_id=$(printf '%s' "$api_body" | json_string activationId)
        activation_code=$(printf '%s' "$api_body" | json_string activationCode)
        activation_region=$(printf '%s' "$api_body" | json_string region)
        enrollment_id=$(printf '%s' "$api_body" | json_string enrollmentId)
        api_body=''
        api_response=''
        if [ -z "$activation_id" ] || [ -z "$activation_code" ] || [ -z "$activation_region" ]; then
          fail 9 "the enrollment service answered $api_status without an activation"
        fi
        log info "got activation $activation_id in $activation_region (enrollment ${enrollment_id:-unknown})"
        return
        ;;
      401) fail 4 "the enrollment token was refused (401 ${error_code:-invalid_token}): it is wrong, expired or revoked" ;;
      403)
        if [ "$error_code" = token_exhausted ]; then
          fail 5 "the enrollment token is used up (403 token_exhausted): create a new one with hob token create"
        fi
        fail 4 "the enrollment was refused (403 ${error_code:-forbidden}): $(printf '%s' "$api_body" | json_string message)"
        ;;
      429 | 502 | 503 | 504 | 000) ;;
      *) fail 9 "the enrollment service answered $api_status ${error_code:-}: $(printf '%s' "$api_body" | json_string message)" ;;
    esac
    if [ "$api_status" = 000 ]; then
      what="no answer ($(tail -n 1 "$workdir/curl.err" 2>/dev/null))"
    else
      what="$api_status ${error_code:-$(printf '%s' "$api_body" | json_string message)}"
    fi
    delay=${api_retry_after:-$backoff}
    delay=$((delay + $(jitter $((delay / 2 + 1)))))
    if [ $(($(now) + delay)) -gt "$give_up_at" ]; then
      fail 9 "the enrollment service is unavailable: $what; gave up after $attempt requests within ONBOARDING_MAX_WAIT=${max_wait}s"
    fi
    log warning "the enrollment service answered $what; retrying in ${delay}s"
    sleep "$delay"
    if [ "$backoff" -lt 60 ]; then
      backoff=$((backoff * 2))
    fi
  done
}

# ---------------------------------------------------------------------------------------------------------------
# Registering

register_agent() {
  service_command stop >/dev/null 2>&1 || :
  if [ "$clear_first" = 1 ]; then
    clear_output=$("$AGENT" -register -clear </dev/null 2>&1) ||
      fail 10 "registration failed: amazon-ssm-agent -register -clear: $(printf '%s\n' "$clear_output" | tail -n 1)"
  fi
  # The activation code can only reach the agent as an argument, as in the procedure; it is never printed.
  register_output=$("$AGENT" -register -code "$activation_code" -id "$activation_id" -region "$activation_region" -y </dev/null 2>&1)
  register_status=$?
  if [ "$register_status" -ne 0 ]; then
    register_reason=$(printf '%s\n' "$register_output" | grep -i 'error' | tail -n 1)
    fail 10 "registration failed: $(redact "${register_reason:-amazon-ssm-agent exited with $register_status}")"
  fi
  activation_code=''
  instance_id=$(registered_instance_id)
  if [ -z "$instance_id" ]; then
    fail 10 "registration failed: the agent reported success but holds no instance id"
  fi
  if [ "$init_system" = systemd ]; then
    service_command enable >/dev/null 2>&1 || log warning "systemctl enable $AGENT failed; the agent may not start at boot"
  fi
  service_command start >"$workdir/start.log" 2>&1 ||
    fail 10 "registered as $instance_id but the agent did not start: $(tail -n 1 "$workdir/start.log")"
}

record_enrollment() {
  mkdir -p "$STATE_DIR"
  cat >"$ENROLLMENT_RECORD.tmp" <<EOF
instance_id=$instance_id
region=$activation_region
activation_id=$activation_id
enrollment_id=${enrollment_id:-}
machine_id=$machine_id
hardware_id=$hardware_id
api_url=$API_URL
registered_at=$(date -u +%Y-%m-%dT%H:%M:%SZ)
EOF
  mv -f "$ENROLLMENT_RECORD.tmp" "$ENROLLMENT_RECORD"
  if [ -n "${ONBOARDING_TOKEN_FILE:-}" ]; then
    rm -f "$ONBOARDING_TOKEN_FILE" 2>/dev/null || log warning "could not remove the token file $ONBOARDING_TOKEN_FILE"
  fi
}

main() {
  trap cleanup EXIT
  trap 'exit 130' INT TERM HUP
  if [ "$(id -u)" != 0 ]; then
    fail 2 "run as root: curl -fsSL \"$API_URL/v1/install/linux\" | sudo ONBOARDING_TOKEN=... sh"
  fi
  command -v curl >/dev/null 2>&1 || fail 2 "curl is required; install it and run again"
  api_transport
  detect_platform
  persist_machine_id
  check_registration
  read_token
  workdir=$(mktemp -d /tmp/hybrid-onboarding.XXXXXX) || fail 2 "cannot create a temporary directory in /tmp"
  install_agent
  request_activation
  token=''
  register_agent
  record_enrollment
  log info "registered as $instance_id in $activation_region through Hybrid Onboarding"
}

# Everything above is only definitions, so a download cut short runs nothing.
main
