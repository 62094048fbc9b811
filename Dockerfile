# Multi-stage build on the official .NET images. Runs as the image's non-root `app` user on 8080.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY Directory.Build.props Directory.Packages.props ./
COPY relay/Relay.csproj relay/
RUN dotnet restore relay/Relay.csproj
COPY relay/ relay/
RUN dotnet publish relay/Relay.csproj -c Release -o /app --no-restore /p:UseAppHost=false

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
# Partners write zone-less local times (Shoper Warsaw, MiniCRM Budapest, Spotler Amsterdam): their zones
# come from the tz database, which InvariantGlobalization does not replace. The relay refuses to start without them.
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends tzdata && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app .
# Socket completions on the runtime's event threads instead of a hop through the thread pool: on a few
# shared cores that halves the wake-ups per webhook (README › Operating › Runtime settings).
ENV ASPNETCORE_HTTP_PORTS=8080 \
    DOTNET_gcServer=0 \
    DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1
EXPOSE 8080
USER $APP_UID
ENTRYPOINT ["dotnet", "Relay.dll"]
