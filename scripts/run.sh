#!/usr/bin/env bash
# Runs the relay on http://localhost:5080. Without Storage__Redis it uses the embedded
# in-process store (not durable, logged as such); set Storage__Redis=localhost:6379 (and
# Secrets__MasterKey) to run on Redis.
set -euo pipefail
cd "$(dirname "$0")/.."
# As in the Dockerfile: socket completions on the runtime's event threads (README › Operating › Runtime settings).
export DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS="${DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS:-1}"
exec dotnet run --project relay --launch-profile relay "$@"
