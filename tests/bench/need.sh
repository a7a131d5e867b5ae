# shellcheck shell=bash
# Sourced by the benchmark scripts: makes sure the programs a benchmark runs are installed before it starts.
#   need COMMAND:PACKAGE ...   installs the Debian packages whose command is missing (as root, never starting their
#                              services), or stops with one line naming what is missing.
#   need_dotnet                stops with one line when the .NET SDK is not on PATH (it is not a Debian package).
need() {
	local pair cmd missing=() commands=()
	for pair in "$@"; do
		cmd=${pair%%:*}
		command -v "$cmd" >/dev/null 2>&1 || { missing+=("${pair#*:}"); commands+=("$cmd"); }
	done
	((${#missing[@]})) || return 0
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		echo "$(basename "$0"): installing ${missing[*]}" >&2
		# Package scripts must not start daemons (DHCP/TFTP servers on the host's interfaces).
		if [ ! -e /usr/sbin/policy-rc.d ]; then printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; fi
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null 2>&1 ||
			{ apt-get update -q >/dev/null 2>&1; DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null 2>&1; } || true
	fi
	local still=()
	for cmd in "${commands[@]}"; do command -v "$cmd" >/dev/null 2>&1 || still+=("$cmd"); done
	if ((${#still[@]})); then
		echo "$(basename "$0"): missing ${still[*]} (Debian packages: ${missing[*]}); install them as root: apt-get install -y ${missing[*]}" >&2
		exit 1
	fi
}

need_dotnet() {
	command -v dotnet >/dev/null 2>&1 ||
		{ echo "$(basename "$0"): missing dotnet (the .NET 10 SDK, not a Debian package: https://dot.net)" >&2; exit 1; }
}
