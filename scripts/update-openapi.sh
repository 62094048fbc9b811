#!/usr/bin/env bash
# Rewrites openapi.yaml from the document the relay serves (the drift test compares the two).
set -euo pipefail
cd "$(dirname "$0")/.."
UPDATE_OPENAPI=1 dotnet test tests/Relay.Tests/Relay.Tests.csproj --nologo --filter "FullyQualifiedName~OpenApiDocumentTests" >/dev/null
git --no-pager diff --stat -- openapi.yaml || true
