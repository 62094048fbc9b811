#!/usr/bin/env bash
# The README demo: builds the relay and the simulators, then runs the relay (embedded store, or Redis
# when Storage__Redis is set) and a simulated Shopware shop and Spotler Mail+ as separate processes on
# loopback ports; installs the app in the shop, configures it through the admin API as the app's page
# would, lets the full sync run, sends a signed webhook, pulls an unsubscribe back into the shop, does the
# same for a Shoprenter shop, sends an order from a second Shopware shop to a simulated MiniCRM, and
# prints each step with its evidence. Stops everything it started. Extra arguments go to the demo
# (see `dotnet tests/Simulators/bin/Debug/net10.0/Simulators.dll`).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "Building the relay and the simulators ..."
dotnet build relay/Relay.csproj --nologo -v q -clp:NoSummary >/dev/null
dotnet build tests/Simulators/Simulators.csproj --nologo -v q -clp:NoSummary >/dev/null

exec dotnet tests/Simulators/bin/Debug/net10.0/Simulators.dll demo \
  --relay-dll relay/bin/Debug/net10.0/Relay.dll --relay-dir relay "$@"
