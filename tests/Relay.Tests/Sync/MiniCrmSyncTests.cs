using Relay.Mapping;
using Relay.Settings;
using Simulators.MiniCrm;

namespace Relay.Tests.Sync;

/// <summary>Shopware → MiniCRM end to end: a customer becomes a MiniCRM Person with the merchant's mapping.</summary>
public sealed class MiniCrmSyncTests : IAsyncLifetime
{
    private SyncTestbed _bed = null!;
    private MiniCrmSimulator _minicrm = null!;

    public async Task InitializeAsync()
    {
        _bed = await SyncTestbed.StartAsync();
        _minicrm = await MiniCrmSimulator.StartAsync("12345", "minicrm-api-key", _bed.Time);
    }

    public async Task DisposeAsync()
    {
        await _minicrm.DisposeAsync();
        await _bed.DisposeAsync();
    }

    private TargetSettings MiniCrm() => new()
    {
        Kind = "minicrm",
        BaseUrl = _minicrm.BaseUrl,
        Credentials = new Dictionary<string, string> { ["systemId"] = "12345", ["apiKey"] = "minicrm-api-key" },
        Options = new Dictionary<string, string> { ["requestsPerMinute"] = "6000" },
    };

    [Fact]
    public async Task A_Shopware_customer_becomes_a_MiniCRM_person_with_mapped_fields_and_an_edit_updates_it()
    {
        await _bed.ConfigureAsync(MiniCrm(), s => s with
        {
            Customers = new FieldMapping
            {
                Rules =
                [
                    new FieldRule { Target = "firstName", Sources = ["firstName"], Transforms = ["trim"] },
                    new FieldRule { Target = "lastName", Sources = ["lastName"], Transforms = ["upper"] },
                    new FieldRule { Target = "Position", Sources = ["customerNumber"] },
                ],
            },
        });
        var customer = _bed.AddCustomer("Eva.Kiss@Example.hu", " Éva ", "Kiss", number: "HU-42");

        await _bed.SendCustomerWrittenAsync(customer.Id);
        await _bed.ProcessQueueAsync();

        var person = Assert.Single(_minicrm.Contacts.Values);
        Assert.Equal("Person", person.Type);
        Assert.Equal("Éva", person.Fields["FirstName"]);
        Assert.Equal("KISS", person.Fields["LastName"]);
        Assert.Equal("eva.kiss@example.hu", person.Fields["Email"]);
        Assert.Equal("HU-42", person.Fields["Position"]);
        Assert.Empty(await _bed.DeadLettersAsync());

        // The same person is updated, not created again.
        _bed.Time.Advance(TimeSpan.FromMinutes(1));
        customer.LastName = "Nagy";
        await _bed.SendCustomerWrittenAsync(customer.Id);
        await _bed.ProcessQueueAsync();

        Assert.Equal("NAGY", Assert.Single(_minicrm.Contacts.Values).Fields["LastName"]);
    }
}
