namespace Tollgate.Secrets;

/// <summary>The <c>Secrets</c> configuration section: the key that encrypts provider secrets at rest.</summary>
public sealed class SecretsOptions
{
    public const string Section = "Secrets";

    /// <summary>
    /// 32 random bytes, base64 (<c>openssl rand -base64 32</c>). Every node sharing a database needs the same key.
    /// When empty, <see cref="KeyFile"/> is read, and created on first use.
    /// </summary>
    public string? Key { get; set; }

    /// <summary>Where the key is kept when <see cref="Key"/> is not given; by default <c>secret.key</c> beside the SQLite file (or in <c>data/</c>).</summary>
    public string? KeyFile { get; set; }
}

/// <summary>Refuses to start with a configured key that is not 32 bytes of base64.</summary>
sealed class SecretsOptionsValidation : Microsoft.Extensions.Options.IValidateOptions<SecretsOptions>
{
    public Microsoft.Extensions.Options.ValidateOptionsResult Validate(string? name, SecretsOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.Key)) return Microsoft.Extensions.Options.ValidateOptionsResult.Success;
        Span<byte> key = stackalloc byte[64];
        return Convert.TryFromBase64String(options.Key.Trim(), key, out var length) && length == 32
            ? Microsoft.Extensions.Options.ValidateOptionsResult.Success
            : Microsoft.Extensions.Options.ValidateOptionsResult.Fail("Secrets:Key must be 32 bytes in base64 (openssl rand -base64 32).");
    }
}
