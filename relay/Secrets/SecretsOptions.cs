using System.Security.Cryptography;

namespace Relay.Secrets;

public sealed class SecretsOptions
{
    public const string Section = "Secrets";

    /// <summary>Base64 of 32 random bytes. Encrypts everything secret at rest.</summary>
    public string? MasterKey { get; set; }

    /// <summary>Stored beside each ciphertext so keys can be rotated.</summary>
    public string CurrentKeyId { get; set; } = "k1";

    /// <summary>Older keys by id, base64, still accepted for decryption during a rotation.</summary>
    public Dictionary<string, string> PreviousKeys { get; set; } = [];

    internal Dictionary<string, byte[]> ResolveKeys()
    {
        var keys = PreviousKeys.ToDictionary(p => p.Key, p => Convert.FromBase64String(p.Value));
        keys[CurrentKeyId] = Convert.FromBase64String(MasterKey!);
        return keys;
    }

    internal static bool IsKey(string? base64)
    {
        if (string.IsNullOrWhiteSpace(base64)) return false;
        var buffer = new byte[64];
        return Convert.TryFromBase64String(base64, buffer, out var written) && written == 32;
    }

    /// <summary>Dev mode without a key: an ephemeral one, so that nothing pretends to be durable.</summary>
    internal static string NewKey() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
}
