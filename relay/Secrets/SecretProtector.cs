using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
 

namespace Relay.Secrets;

/// <summary>
/// AES-GCM encryption of shop secrets, OAuth tokens and target credentials at rest.
/// Ciphertext format: "v1.{keyId}.{base64(nonce|tag|ciphertext)}". The key id travels with the
/// ciphertext so that an operator can rotate: the newest key encrypts, every listed key decrypts.
/// </summary>
public sealed class SecretProtector
{
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private readonly Dictionary<string, byte[]> _keys;
    private readonly string _currentKeyId;

    public SecretProtector(IOptions<SecretsOptions> options)
    {
        var o = options.Value;
        _keys = o.ResolveKeys();
        _currentKeyId = o.CurrentKeyId;
    }

    public string Protect(string plaintext)
    {
        var key = _keys[_currentKeyId];
        var plain = Encoding.UTF8.GetBytes(plaintext);
        var blob = new byte[NonceSize + TagSize + plain.Length];
        var nonce = blob.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(key, TagSize);
        aes.Encrypt(nonce, plain, blob.AsSpan(NonceSize + TagSize), blob.AsSpan(NonceSize, TagSize), Encoding.UTF8.GetBytes(_currentKeyId));
        return $"v1.{_currentKeyId}.{Convert.ToBase64String(blob)}";
    }

    public string Unprotect(string protectedValue)
    {
        var parts = protectedValue.Split('.', 3);
        if (parts.Length != 3 || parts[0] != "v1")
            throw new CryptographicException("Not a protected value.");
        if (!_keys.TryGetValue(parts[1], out var key))
            throw new CryptographicException($"Secret was encrypted with key id '{parts[1]}', which is not configured (Secrets:PreviousKeys:{parts[1]}).");
        var blob = Convert.FromBase64String(parts[2]);
        var plain = new byte[blob.Length - NonceSize - TagSize];
        using var aes = new AesGcm(key, TagSize);
        aes.Decrypt(blob.AsSpan(0, NonceSize), blob.AsSpan(NonceSize + TagSize), blob.AsSpan(NonceSize, TagSize), plain, Encoding.UTF8.GetBytes(parts[1]));
        return Encoding.UTF8.GetString(plain);
    }

    /// <summary>Key material for other purposes (session signing), derived so it never equals the encryption key.</summary>
    public byte[] DeriveKey(string purpose) =>
        HKDF.DeriveKey(HashAlgorithmName.SHA256, _keys[_currentKeyId], 32, info: Encoding.UTF8.GetBytes(purpose));
}
