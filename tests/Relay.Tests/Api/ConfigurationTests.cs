using System.Diagnostics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Relay.Operator;
using Relay.Pipeline;
using Relay.Secrets;
using Relay.Storage;
using Relay.Tests.Infrastructure;

namespace Relay.Tests.Api;

public sealed class ConfigurationTests
{
    private static Exception? Validate(Dictionary<string, string?> settings) =>
        StartupValidation.Run(settings, services => services.AddOperatorApi());

    [Theory]
    [InlineData("Pipeline:Partitions", "0")]
    [InlineData("Pipeline:WorkerConcurrency", "-1")]
    [InlineData("Pipeline:RetryJitter", "1.5")]
    [InlineData("Pipeline:VisibilityTimeout", "00:00:00")]
    [InlineData("Storage:Redis", "redis://:pw@/nohost")]
    [InlineData("Operator:ApiKey", "short")]
    [InlineData("Secrets:MasterKey", "bm90LWEta2V5")]
    public void An_invalid_setting_stops_start_up_naming_the_setting(string key, string value)
    {
        var error = Assert.IsType<OptionsValidationException>(Validate(new() { [key] = value }));
        Assert.Contains(key, string.Join(" ", error.Failures));
    }

    [Fact]
    public void A_keep_user_data_retention_under_an_hour_stops_start_up_naming_it()
    {
        Dictionary<string, string?> Shopware(string retention) => new()
        {
            ["Shopware:AppSecret"] = "app-secret", ["Shopware:PublicBaseUrl"] = "https://relay.example.com", ["Shopware:KeepUserDataRetention"] = retention,
        };
        var error = Assert.IsType<OptionsValidationException>(StartupValidation.Run(Shopware("00:30:00"), services => services.AddShopware()));
        Assert.Contains("Shopware:KeepUserDataRetention", string.Join(" ", error.Failures));
        Assert.Null(StartupValidation.Run(Shopware("30.00:00:00"), services => services.AddShopware()));
    }

    [Fact]
    public void A_Shoper_time_zone_this_machine_does_not_know_stops_start_up_naming_it()
    {
        var error = Assert.IsType<OptionsValidationException>(StartupValidation.Run(new() { ["Shoper:TimeZone"] = "Europe/Atlantis" }, services => services.AddShoper()));
        Assert.Contains("Shoper:TimeZone", string.Join(" ", error.Failures));
        Assert.Null(StartupValidation.Run(new() { ["Shoper:TimeZone"] = "Europe/Warsaw" }, services => services.AddShoper()));
    }

    [Fact]
    public void A_Shoper_admin_frame_ancestor_that_is_no_https_origin_stops_start_up_naming_it()
    {
        var error = Assert.IsType<OptionsValidationException>(StartupValidation.Run(new() { ["Shoper:AdminFrameAncestors:0"] = "http://*.shoparena.pl" }, services => services.AddShoper()));
        Assert.Contains("Shoper:AdminFrameAncestors", string.Join(" ", error.Failures));
        Assert.Null(StartupValidation.Run(new() { ["Shoper:AdminFrameAncestors:0"] = "https://*.shoparena.pl" }, services => services.AddShoper()));
    }

    [Fact]
    public void Valid_settings_pass()
    {
        Assert.Null(Validate(new() { ["Pipeline:Partitions"] = "8", ["Pipeline:RetrySchedule:0"] = "00:00:10" }));
    }

    [Fact]
    public void A_malformed_duration_is_reported_naming_the_setting()
    {
        var error = Validate(new() { ["Pipeline:DedupTtl"] = "seven days" });
        Assert.Contains("Pipeline:DedupTtl", error?.Message);
    }

    [Fact]
    public void Redis_without_a_master_key_is_refused_asking_for_one()
    {
        var error = Assert.IsType<OptionsValidationException>(Validate(new() { ["Storage:Redis"] = "127.0.0.1:1", ["Secrets:MasterKey"] = "" }));
        Assert.Contains("Secrets:MasterKey", string.Join(" ", error.Failures));
    }

    [Fact]
    public async Task The_real_process_exits_with_one_line_naming_the_bad_setting()
    {
        var relay = Path.Combine(AppContext.BaseDirectory, "Relay.dll");
        var start = new ProcessStartInfo("dotnet") { ArgumentList = { relay, "--urls", "http://127.0.0.1:0" }, RedirectStandardError = true, RedirectStandardOutput = true };
        start.Environment["Pipeline__Partitions"] = "0";
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(Eventually.HangGuard);

        Assert.Equal(1, process.ExitCode);
        Assert.Contains("Configuration error: Pipeline:Partitions must be between 1 and 256.", await stderr);
        Assert.DoesNotContain("   at ", await stderr + await stdout);
    }

    [Theory]
    [InlineData("redis://localhost:6380/2", "localhost:6380,abortConnect=false,defaultDatabase=2")]
    [InlineData("redis://:s3cret@redis:6379", "redis:6379,abortConnect=false,password=s3cret")]
    [InlineData("rediss://relay:s3cret@cluster.example:6380", "cluster.example:6380,abortConnect=false,user=relay,password=s3cret,ssl=true")]
    [InlineData("localhost:6379,password=x", "localhost:6379,password=x")]
    public void Redis_urls_become_connection_options(string url, string expected)
    {
        Assert.Equal(expected, StorageOptions.ToConfiguration(url));
    }
}
