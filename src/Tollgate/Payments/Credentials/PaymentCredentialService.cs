using System.Text.Json;
using Dapper;
using Tollgate.Audit;
using Tollgate.Common;
using Tollgate.Payments.Providers;
using Tollgate.Secrets;
using Tollgate.Storage;

namespace Tollgate.Payments.Credentials;

/// <summary>
/// <c>PUT /api/v1/payment-providers/{provider}</c>: the provider's whole credentials, in the names of its
/// configuration section (<c>secret_key</c>, <c>webhook_secret</c>, …); what is left out is unset. Fields of another
/// provider are refused.
/// </summary>
public sealed record SetPaymentCredentialsRequest(
    string? SecretKey = null, string? WebhookSecret = null, string? PreviousWebhookSecret = null, string? KeyId = null, string? KeySecret = null,
    string? ApiKey = null, string? StoreId = null, string? VariantId = null, string? SigningSecret = null, string? PreviousSigningSecret = null, string? BaseUrl = null);

/// <summary>
/// A provider as the API shows it: whether it is configured, whence its credentials come (<c>api</c>,
/// <c>configuration</c>, or none), its API address, its credentials masked (never their plaintext), and where it sends webhooks to.
/// </summary>
public sealed record PaymentProviderView(
    string Provider, bool Configured, string? Source, string? BaseUrl, IReadOnlyDictionary<string, string> Credentials, string WebhookPath, DateTimeOffset? UpdatedAt);

/// <summary>
/// Provider credentials over the admin API (docs/payments.md, "Credentials over the API"): stored sealed with
/// <see cref="SecretBox"/> (AES-256-GCM, bound to the provider), in force on this node before the answer and on
/// the others at their next notification, and validated by the same rules as the configuration. Deleting them puts
/// the configuration back in force.
/// </summary>
public sealed class PaymentCredentialService(Database database, PaymentSettings settings, SecretBox secrets, AuditLog audit, ChangeFeed changes, TimeProvider time)
{
    static readonly PaymentProviderName[] WithCredentials =
        [PaymentProviderName.Stripe, PaymentProviderName.Razorpay, PaymentProviderName.Paddle, PaymentProviderName.LemonSqueezy];

    public IReadOnlyList<PaymentProviderView> List() =>
        [.. WithCredentials.Select(View), View(PaymentProviderName.Test)];

    public Result<PaymentProviderView> Get(string provider) =>
        PaymentProviderNames.Parse(provider) is { } name ? View(name) : ApiError.NotFound("payment provider", provider);

    public async Task<Result<PaymentProviderView>> SetAsync(string provider, SetPaymentCredentialsRequest request, Actor actor, CancellationToken ct)
    {
        if (PaymentProviderNames.Parse(provider) is not { } name) return ApiError.NotFound("payment provider", provider);
        if (name == PaymentProviderName.Test) return ApiError.Invalid("provider", "The built-in test provider has no credentials: Payments:TestProvider turns it on.");
        var (section, refused) = OptionsOf(name, request);
        if (refused.Count > 0) return ApiError.Invalid(refused.ToDictionary(f => f, f => new[] { $"is not a credential of {name.Text()}." }));

        var candidate = PaymentSettings.Copy(settings.Live);
        var json = JsonSerializer.Serialize(section, section.GetType(), ApiJson.Options);
        PaymentSettings.Apply(candidate, name, json);
        var check = new PaymentsOptionsValidation().Validate(null, candidate);
        var mine = check.Failures?.Where(f => f.StartsWith($"Payments:{SectionName(name)}", StringComparison.Ordinal)).ToList() ?? [];
        if (mine.Count > 0) return ApiError.Invalid("credentials", string.Join(" ", mine));
        if (!candidate.Configures(name)) return ApiError.Invalid("credentials", $"Set every credential of {name.Text()}: {string.Join(", ", Required(name))}.");

        var before = View(name);
        await database.InTransactionAsync(async (connection, tx) =>
        {
            var now = time.GetUtcNow();
            await connection.ExecuteAsync(
                """
                INSERT INTO payment_credentials (provider, sealed, updated_at) VALUES (@provider, @sealed, @now)
                ON CONFLICT (provider) DO UPDATE SET sealed = excluded.sealed, updated_at = excluded.updated_at
                """, new { provider = name.Text(), @sealed = secrets.Seal(json, PaymentSettings.SecretContext(name)), now }, tx);
            await audit.RecordAsync(tx, actor, "payment_credentials.updated", "payment_provider", name.Text(), before, Masked(name, candidate, "api", now), null);
            changes.Publish(ChangeKind.PaymentCredentials, name.Text()); // sent with the commit (TransactionChanges)
            return true;
        }, ct);
        await settings.ReloadAsync(ct);
        return View(name);
    }

    public async Task<Result<PaymentProviderView>> DeleteAsync(string provider, Actor actor, CancellationToken ct)
    {
        if (PaymentProviderNames.Parse(provider) is not { } name) return ApiError.NotFound("payment provider", provider);
        var before = View(name);
        var deleted = await database.InTransactionAsync(async (connection, tx) =>
        {
            var n = await connection.ExecuteAsync("DELETE FROM payment_credentials WHERE provider = @provider", new { provider = name.Text() }, tx);
            if (n > 0)
            {
                await audit.RecordAsync(tx, actor, "payment_credentials.deleted", "payment_provider", name.Text(), before, null, null);
                changes.Publish(ChangeKind.PaymentCredentials, name.Text());
            }

            return n;
        }, ct);
        if (deleted == 0) return ApiError.NotFound("stored credentials of", name.Text());
        await settings.ReloadAsync(ct);
        return View(name);
    }

    PaymentProviderView View(PaymentProviderName name) =>
        Masked(name, settings.Live, settings.Stored.ContainsKey(name) ? "api" : settings.Live.Configures(name) ? "configuration" : null,
            settings.Stored.TryGetValue(name, out var at) ? at : null);

    static PaymentProviderView Masked(PaymentProviderName name, PaymentsOptions o, string? source, DateTimeOffset? updatedAt)
    {
        var section = Fields(name, o);
        var credentials = new SortedDictionary<string, string>(StringComparer.Ordinal);
        string? baseUrl = null;
        foreach (var (field, value) in section)
        {
            if (field == "base_url") baseUrl = value;
            else if (!string.IsNullOrEmpty(value)) credentials[field] = Mask(value);
        }

        return new PaymentProviderView(name.Text(), name == PaymentProviderName.Test ? o.TestProvider : o.Configures(name), name == PaymentProviderName.Test ? (o.TestProvider ? "configuration" : null) : source,
            baseUrl, credentials, $"/webhooks/{name.Text()}", updatedAt);
    }

    /// <summary>Enough to recognise a credential, never enough to use it: its first characters up to 7 and its last 4, when it is long enough to spare them.</summary>
    public static string Mask(string value) =>
        value.Length < 12 ? new string('•', 4) : $"{value[..Math.Min(7, value.Length / 4)]}…{value[^4..]}";

    static string SectionName(PaymentProviderName name) => name switch
    {
        PaymentProviderName.Stripe => "Stripe",
        PaymentProviderName.Razorpay => "Razorpay",
        PaymentProviderName.Paddle => "Paddle",
        _ => "LemonSqueezy",
    };

    static string[] Required(PaymentProviderName name) => name switch
    {
        PaymentProviderName.Stripe => ["secret_key", "webhook_secret"],
        PaymentProviderName.Razorpay => ["key_id", "key_secret", "webhook_secret"],
        PaymentProviderName.Paddle => ["api_key", "webhook_secret"],
        _ => ["api_key", "store_id", "variant_id", "signing_secret"],
    };

    /// <summary>A provider's section as its fields (snake_case) and values.</summary>
    static IEnumerable<(string Field, string? Value)> Fields(PaymentProviderName name, PaymentsOptions o) => name switch
    {
        PaymentProviderName.Stripe => [("secret_key", o.Stripe.SecretKey), ("webhook_secret", o.Stripe.WebhookSecret), ("previous_webhook_secret", o.Stripe.PreviousWebhookSecret), ("base_url", o.Stripe.BaseUrl)],
        PaymentProviderName.Razorpay => [("key_id", o.Razorpay.KeyId), ("key_secret", o.Razorpay.KeySecret), ("webhook_secret", o.Razorpay.WebhookSecret), ("previous_webhook_secret", o.Razorpay.PreviousWebhookSecret), ("base_url", o.Razorpay.BaseUrl)],
        PaymentProviderName.Paddle => [("api_key", o.Paddle.ApiKey), ("webhook_secret", o.Paddle.WebhookSecret), ("previous_webhook_secret", o.Paddle.PreviousWebhookSecret), ("base_url", o.Paddle.BaseUrl)],
        PaymentProviderName.LemonSqueezy => [("api_key", o.LemonSqueezy.ApiKey), ("store_id", o.LemonSqueezy.StoreId), ("variant_id", o.LemonSqueezy.VariantId), ("signing_secret", o.LemonSqueezy.SigningSecret), ("previous_signing_secret", o.LemonSqueezy.PreviousSigningSecret), ("base_url", o.LemonSqueezy.BaseUrl)],
        _ => [],
    };

    /// <summary>The request as the provider's options (its base URL the public API's when not given), and the fields it gave that are another provider's.</summary>
    static (object Section, List<string> Refused) OptionsOf(PaymentProviderName name, SetPaymentCredentialsRequest r)
    {
        var given = new (string Field, string? Value)[]
        {
            ("secret_key", r.SecretKey), ("webhook_secret", r.WebhookSecret), ("previous_webhook_secret", r.PreviousWebhookSecret), ("key_id", r.KeyId),
            ("key_secret", r.KeySecret), ("api_key", r.ApiKey), ("store_id", r.StoreId), ("variant_id", r.VariantId), ("signing_secret", r.SigningSecret),
            ("previous_signing_secret", r.PreviousSigningSecret),
        }.Where(f => f.Value is not null).Select(f => f.Field);
        object section = name switch
        {
            PaymentProviderName.Stripe => new StripeOptions { SecretKey = r.SecretKey, WebhookSecret = r.WebhookSecret, PreviousWebhookSecret = r.PreviousWebhookSecret, BaseUrl = r.BaseUrl ?? new StripeOptions().BaseUrl },
            PaymentProviderName.Razorpay => new RazorpayOptions { KeyId = r.KeyId, KeySecret = r.KeySecret, WebhookSecret = r.WebhookSecret, PreviousWebhookSecret = r.PreviousWebhookSecret, BaseUrl = r.BaseUrl ?? new RazorpayOptions().BaseUrl },
            PaymentProviderName.Paddle => new PaddleOptions { ApiKey = r.ApiKey, WebhookSecret = r.WebhookSecret, PreviousWebhookSecret = r.PreviousWebhookSecret, BaseUrl = r.BaseUrl ?? new PaddleOptions().BaseUrl },
            _ => new LemonSqueezyOptions { ApiKey = r.ApiKey, StoreId = r.StoreId, VariantId = r.VariantId, SigningSecret = r.SigningSecret, PreviousSigningSecret = r.PreviousSigningSecret, BaseUrl = r.BaseUrl ?? new LemonSqueezyOptions().BaseUrl },
        };
        var own = Fields(name, new PaymentsOptions()).Select(f => f.Field).ToHashSet();
        return (section, [.. given.Where(f => !own.Contains(f))]);
    }
}
