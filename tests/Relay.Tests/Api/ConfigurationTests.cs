using Microsoft.Extensions.Options;
using Relay.Tests.Infrastructure;

namespace Relay.Tests.Api;

public sealed class ConfigurationTests
{
    private static Exception StartWith(Dictionary<string, string?> settings)
    {
        var app = new RelayApplication(settings);
        var error = Assert.ThrowsAny<Exception>(() => app.CreateClient());
        try { app.Dispose(); }
        catch (Exception) { } // a host that never started cannot stop cleanly
        return error;
    }

    [Theory]
    [InlineData("Pipeline:Partitions", "0")]
    [InlineData("Pipeline:WorkerConcurrency", "-1")]
    [InlineData("Pipeline:RetryJitter", "1.5")]
    [InlineData("Storage:Redis", "redis://:pw@/nohost")]
    [InlineData("Operator:ApiKey", "short")]
    public void An_invalid_setting_stops_start_up_naming_the_setting(string key, string value)
    {
        var error = StartWith(new() { [key] = value });
        var validation = Assert.IsType<OptionsValidationException>(error);
        Assert.Contains(key, string.Join(" ", validation.Failures));
    }

    [Fact]
    public void A_malformed_duration_stops_start_up_naming_the_setting()
    {
        var error = StartWith(new() { ["Pipeline:DedupTtl"] = "seven days" });
        Assert.Contains("Pipeline:DedupTtl", error.ToString());
    }

    [Fact]
    public void Redis_without_a_master_key_stops_start_up_asking_for_one()
    {
        var error = StartWith(new() { ["Storage:Redis"] = "127.0.0.1:1", ["Secrets:MasterKey"] = "" });
        Assert.Contains("Secrets:MasterKey", string.Join(" ", Assert.IsType<OptionsValidationException>(error).Failures));
    }

    [Theory]
    [InlineData("redis://localhost:6380/2", "localhost:6380,abortConnect=false,defaultDatabase=2")]
    [InlineData("redis://:s3cret@redis:6379", "redis:6379,abortConnect=false,password=s3cret")]
    [InlineData("localhost:6379,password=x", "localhost:6379,password=x")]
    public void Redis_urls_become_connection_options(string url, string expected)
    {
        Assert.Equal(expected, Relay.Storage.StorageOptions.ToConfiguration(url));
    }
}
