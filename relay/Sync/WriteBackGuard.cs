using Relay.Mapping;

namespace Relay.Sync;

/// <summary>
/// The relay writes into a shop only what a target said about one address: an opt-out or a hard
/// bounce. Platforms find the shop's records by searching for the address, and a shop that ignores or
/// mis-applies the filter answers with other people's records (one shop returned its whole list, and
/// one unsubscribe switched off 44 others). So every platform keeps only the records whose own address
/// is the target's (trimmed, case-insensitive) and logs the rest, masked, untouched.
/// </summary>
public static class WriteBackGuard
{
    public static bool IsAddress(string? recordEmail, string email) =>
        ContactMapper.NormalizeEmail(recordEmail) is { } own && own == ContactMapper.NormalizeEmail(email);

    public static IReadOnlyList<T> OnlyAddress<T>(IEnumerable<T> found, Func<T, string?> emailOf, string email, string shopKey, ILogger logger)
    {
        var matching = new List<T>();
        var others = 0;
        foreach (var record in found)
            if (IsAddress(emailOf(record), email)) matching.Add(record);
            else others++;
        if (others > 0)
            logger.LogWarning("{ShopKey}: the shop's search for {Email} also returned {Others} records of other addresses; they were left alone",
                shopKey, ActivityLog.MaskEmail(ContactMapper.NormalizeEmail(email)), others);
        return matching;
    }
}
