#!/usr/bin/env bash
# Sourced by the scripts that run Debian's servers: install_missing TOOL... installs, with apt-get,
# the packages (named as their commands) that are not on the PATH. Returns 1 when some are missing
# and cannot be installed here (not root, or no apt-get), after saying how to install them.
export PATH="$PATH:/usr/sbin:/sbin"  # Debian puts haproxy in /usr/sbin

install_missing() {
  local missing=() tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "Installing Debian's ${missing[*]}..."
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "${missing[*]} missing and cannot be installed here (not root);" \
      "install with: sudo apt-get install ${missing[*]}" >&2
    return 1
  fi
}
