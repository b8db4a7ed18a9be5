using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Tollgate.Storage;

namespace Tollgate.Secrets;

/// <summary>
/// Encrypts secrets kept in the database (provider API keys) with AES-256-GCM. Each value gets a fresh nonce and is
/// bound to what it belongs to (<c>context</c>, e.g. <c>gateway_provider:openai</c>), so a ciphertext copied onto
/// another row does not decrypt. Stored as <c>v1.</c> + base64(nonce ‖ tag ‖ ciphertext).
/// </summary>
public sealed class SecretBox
{
    const string Prefix = "v1.";
    const int NonceSize = 12;
    const int TagSize = 16;

    readonly Lazy<byte[]> _key;

    public SecretBox(IOptions<SecretsOptions> options, Database database, ILogger<SecretBox> logger)
        : this(() => SecretKeySource.Load(options.Value, database.Target, logger))
    {
    }

    public SecretBox(Func<byte[]> key) => _key = new Lazy<byte[]>(key, LazyThreadSafetyMode.ExecutionAndPublication);

    public string Seal(string plaintext, string context)
    {
        var plain = Encoding.UTF8.GetBytes(plaintext);
        var sealedBytes = new byte[NonceSize + TagSize + plain.Length];
        var nonce = sealedBytes.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(_key.Value, TagSize);
        aes.Encrypt(nonce, plain, sealedBytes.AsSpan(NonceSize + TagSize), sealedBytes.AsSpan(NonceSize, TagSize), Encoding.UTF8.GetBytes(context));
        return Prefix + Convert.ToBase64String(sealedBytes);
    }

    /// <summary>The plaintext, or null when the value was sealed with another key, for another context, or tampered with.</summary>
    public string? Open(string sealedText, string context)
    {
        if (!sealedText.StartsWith(Prefix, StringComparison.Ordinal)) return null;
        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(sealedText[Prefix.Length..]);
        }
        catch (FormatException)
        {
            return null;
        }

        if (bytes.Length < NonceSize + TagSize) return null;
        var plain = new byte[bytes.Length - NonceSize - TagSize];
        try
        {
            using var aes = new AesGcm(_key.Value, TagSize);
            aes.Decrypt(bytes.AsSpan(0, NonceSize), bytes.AsSpan(NonceSize + TagSize), bytes.AsSpan(NonceSize, TagSize), plain, Encoding.UTF8.GetBytes(context));
            return Encoding.UTF8.GetString(plain);
        }
        catch (AuthenticationTagMismatchException)
        {
            return null;
        }
    }
}

/// <summary>Finds the encryption key: configured, or read from (and on first use written to) a key file only this user can read.</summary>
static partial class SecretKeySource
{
    public static byte[] Load(SecretsOptions options, ConnectionTarget target, ILogger logger)
    {
        if (!string.IsNullOrWhiteSpace(options.Key)) return Decode(options.Key, "Secrets:Key");
        var path = Path.GetFullPath(string.IsNullOrWhiteSpace(options.KeyFile) ? DefaultKeyFile(target) : options.KeyFile);
        if (File.Exists(path)) return Decode(File.ReadAllText(path), path);

        var key = RandomNumberGenerator.GetBytes(32);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var fileOptions = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) fileOptions.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var file = new FileStream(path, fileOptions))
        using (var writer = new StreamWriter(file))
        {
            writer.Write(Convert.ToBase64String(key));
        }

        if (target.Kind == DatabaseKind.Postgres)
        {
            LogKeyFileCreatedForCluster(logger, path);
        }
        else
        {
            LogKeyFileCreated(logger, path);
        }

        return key;
    }

    static string DefaultKeyFile(ConnectionTarget target) => Path.Combine(DataDirectory.For(target), "secret.key");

    static byte[] Decode(string text, string where)
    {
        try
        {
            var key = Convert.FromBase64String(text.Trim());
            if (key.Length == 32) return key;
        }
        catch (FormatException)
        {
        }

        throw new InvalidOperationException($"{where} must hold 32 bytes in base64 (openssl rand -base64 32).");
    }

    [LoggerMessage(EventId = 10001, Level = LogLevel.Warning,
        Message = "Created the secrets key file {Path}. Every Tollgate node sharing this database needs the same key: "
            + "copy the file or set Secrets:Key.")]
    static partial void LogKeyFileCreatedForCluster(ILogger logger, string path);

    [LoggerMessage(EventId = 10002, Level = LogLevel.Information,
        Message = "Created the secrets key file {Path}; back it up with the database.")]
    static partial void LogKeyFileCreated(ILogger logger, string path);
}
