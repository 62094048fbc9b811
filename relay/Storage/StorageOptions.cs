namespace Relay.Storage;

public sealed class StorageOptions
{
    public const string Section = "Storage";

    /// <summary>
    /// Redis connection: "host:port[,host:port…][,options]" (StackExchange.Redis syntax; for a cluster any
    /// of its nodes, the rest are discovered) or a redis[s]://[[user]:password@]host:port[/db] URL. Empty:
    /// the embedded in-process store, which keeps nothing across a restart.
    /// </summary>
    public string? Redis { get; set; }

    public bool UsesRedis => !string.IsNullOrWhiteSpace(Redis);

    /// <summary>Turns a redis:// URL into StackExchange.Redis configuration; passes other forms through.</summary>
    internal static string? ToConfiguration(string? value)
    {
        if (string.IsNullOrWhiteSpace(value)) return null;
        if (!value.StartsWith("redis://", StringComparison.OrdinalIgnoreCase) &&
            !value.StartsWith("rediss://", StringComparison.OrdinalIgnoreCase))
            return value;
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
            return null;
        var port = uri.Port > 0 ? uri.Port : 6379;
        var parts = new List<string> { $"{uri.Host}:{port}", "abortConnect=false" };
        if (!string.IsNullOrEmpty(uri.UserInfo))
        {
            // user:password (an ACL user, as managed services hand out), :password, or a bare password.
            var info = Uri.UnescapeDataString(uri.UserInfo);
            var colon = info.IndexOf(':');
            if (colon > 0) parts.Add("user=" + info[..colon]);
            parts.Add("password=" + (colon >= 0 ? info[(colon + 1)..] : info));
        }
        var db = uri.AbsolutePath.Trim('/');
        if (db.Length > 0)
        {
            if (!int.TryParse(db, out var n)) return null;
            parts.Add("defaultDatabase=" + n);
        }
        if (uri.Scheme.Equals("rediss", StringComparison.OrdinalIgnoreCase)) parts.Add("ssl=true");
        return string.Join(',', parts);
    }
}
