using Relay.Mapping;
using Relay.Settings;

namespace Relay.Tests.Mapping;

public sealed class ContactMapperTests
{
    private static ShopRecord Customer(params (string Name, string? Value)[] fields) => new()
    {
        Kind = ShopRecordKind.Customer,
        Id = "c1",
        Fields = fields.ToDictionary(f => f.Name, f => f.Value),
    };

    private static FieldMapping Rules(params FieldRule[] rules) => new() { Rules = rules };

    [Fact]
    public void Canonical_target_fields_land_on_the_contact_and_others_in_its_fields()
    {
        var record = Customer(("email", " Jan@Example.NL "), ("firstName", "Jan"), ("postalCode", "3511 aa"), ("city", "Utrecht"), ("customFields.vip", "gold"));
        var contact = ContactMapper.Map(record, Rules(
            new FieldRule { Target = "firstName", Sources = ["firstName"] },
            new FieldRule { Target = "postalCode", Sources = ["postalCode"], Transforms = ["upper"] },
            new FieldRule { Target = "city", Sources = ["city"] },
            new FieldRule { Target = "profileField3", Sources = ["customFields.vip"] },
            new FieldRule { Target = "source", Constant = "webshop" }), UniqueKeyKind.Email, isCreate: true);

        Assert.Equal("jan@example.nl", contact.Key);
        Assert.Equal("jan@example.nl", contact.Email);
        Assert.Equal("Jan", contact.FirstName);
        Assert.Equal("3511 AA", contact.Address!.PostalCode);
        Assert.Equal("Utrecht", contact.Address.City);
        Assert.Equal("gold", contact.Fields["profileField3"]);
        Assert.Equal("webshop", contact.Fields["source"]);
        Assert.False(contact.Fields.ContainsKey("city"));
    }

    [Fact]
    public void Sources_are_joined_by_the_separator_skipping_empty_ones_then_transformed_in_order()
    {
        var rule = new FieldRule { Target = "name", Sources = ["firstName", "title", "lastName"], Separator = ", ", Transforms = ["trim", "lower"] };
        Assert.Equal("jan, jansen", ContactMapper.ValueOf(rule, Customer(("firstName", " Jan"), ("title", ""), ("lastName", "Jansen "))));
        Assert.Null(ContactMapper.ValueOf(rule, Customer()));
    }

    [Theory]
    [InlineData("2026-03-04T10:00:00+00:00", "date:yyyy-MM-dd", "2026-03-04")]
    [InlineData("1990-12-31", "date:dd.MM.yyyy", "31.12.1990")]
    [InlineData("not a date", "date:yyyy-MM-dd", null)]
    [InlineData("  Mixed Case ", "upper", "  MIXED CASE ")]
    public void Transforms(string input, string transform, string? expected) =>
        Assert.Equal(expected, ContactMapper.Apply(transform, input));

    [Fact]
    public void Rules_that_do_not_overwrite_are_written_only_when_the_contact_is_created()
    {
        var mapping = Rules(
            new FieldRule { Target = "firstName", Sources = ["firstName"] },
            new FieldRule { Target = "lastName", Sources = ["lastName"], OverwriteOnUpdate = false });
        var record = Customer(("email", "a@b.nl"), ("firstName", "Anna"), ("lastName", "Vries"));

        Assert.Equal("Vries", ContactMapper.Map(record, mapping, UniqueKeyKind.Email, isCreate: true).LastName);
        var update = ContactMapper.Map(record, mapping, UniqueKeyKind.Email, isCreate: false);
        Assert.Equal("Anna", update.FirstName);
        Assert.Null(update.LastName);
    }

    [Fact]
    public void Empty_shop_values_are_left_out_so_they_never_blank_the_target()
    {
        var contact = ContactMapper.Map(Customer(("email", "a@b.nl"), ("lastName", "  ")), Rules(new FieldRule { Target = "lastName", Sources = ["lastName"] }), UniqueKeyKind.Email, true);
        Assert.Null(contact.LastName);
        Assert.Null(contact.Address);
    }

    [Theory]
    [InlineData(UniqueKeyKind.Email, "a@b.nl")]
    [InlineData(UniqueKeyKind.CustomerNumber, "K-1")]
    [InlineData(UniqueKeyKind.ShopId, "c1")]
    public void The_unique_key_is_the_chosen_shop_field(UniqueKeyKind kind, string expected) =>
        Assert.Equal(expected, ContactMapper.Map(Customer(("email", "A@B.nl"), ("customerNumber", " K-1 "), ("id", "c1")), new FieldMapping(), kind, true).Key);

    [Fact]
    public void A_record_without_its_unique_key_cannot_be_mapped()
    {
        var e = Assert.Throws<MappingException>(() => ContactMapper.Map(Customer(("email", "a@b.nl")), new FieldMapping(), UniqueKeyKind.CustomerNumber, true));
        Assert.Contains("customer number", e.Message);
    }
}
