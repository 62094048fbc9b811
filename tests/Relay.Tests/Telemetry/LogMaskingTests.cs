using Relay.Telemetry;

namespace Relay.Tests.Telemetry;

public sealed class LogMaskingTests
{
    [Theory]
    [InlineData("jane.doe@example.com", "j***@example.com")]
    [InlineData("x@y.pl", "x***@y.pl")]
    [InlineData("not-an-address", "***")]
    [InlineData("@example.com", "***")]
    [InlineData("", "")]
    [InlineData(null, "")]
    public void An_address_keeps_its_first_letter_and_domain(string? email, string masked) =>
        Assert.Equal(masked, LogMasking.Email(email));

    [Fact]
    public void Every_address_in_free_text_is_masked()
    {
        var text = "SARE refused <jane.doe@example.com>; also \"max@mustermann.de\", (a.b+c@sub.example.org).";
        Assert.Equal("SARE refused <j***@example.com>; also \"m***@mustermann.de\", (a***@sub.example.org).", LogMasking.Emails(text));
    }

    [Fact]
    public void The_event_scope_is_a_list_of_properties_with_a_readable_text()
    {
        var scope = new EventLogScope("shopware:abc", "evt-1");
        Assert.Equal(["ShopKey", "EventId"], scope.Select(p => p.Key));
        Assert.Equal("ShopKey:shopware:abc EventId:evt-1", scope.ToString());
    }
}
