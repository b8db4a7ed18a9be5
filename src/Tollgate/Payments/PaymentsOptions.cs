using Microsoft.Extensions.Options;
using Tollgate.Payments.Providers;
using Tollgate.Payments.Routing;

namespace Tollgate.Payments;

/// <summary>
/// The <c>Payments</c> configuration section: each provider's credentials (a provider is configured when its API key
/// is set), the routing rules, and how far a signed webhook's time may be from now. <c>BaseUrl</c> defaults to each
/// provider's public API; tests point it at a loopback server.
/// </summary>
public sealed class PaymentsOptions
{
    public const string Section = "Payments";

    public StripeOptions Stripe { get; set; } = new();
    public RazorpayOptions Razorpay { get; set; } = new();
    public PaddleOptions Paddle { get; set; } = new();
    public LemonSqueezyOptions LemonSqueezy { get; set; } = new();

    /// <summary>
    /// The providers' test credentials (Stripe's test keys, Razorpay's test keys, a Paddle sandbox, a LemonSqueezy
    /// test-mode key), used for test-mode data: checkouts made with a test-mode key, and all that follows from them.
    /// </summary>
    public PaymentSandboxOptions Sandbox { get; set; } = new();

    /// <summary>Routing rules, first match wins (<see cref="PaymentRouting"/>); none configured, <see cref="PaymentRouting.Defaults"/>.</summary>
    public List<RoutingRuleOptions> Routing { get; set; } = [];

    /// <summary>
    /// The built-in test provider, which completes checkouts at a local page (<c>/pay/test/…</c>) and charges nothing:
    /// on with <c>serve --demo</c>, off otherwise. Never for real money.
    /// </summary>
    public bool TestProvider { get; set; }

    /// <summary>Where customers' browsers reach this server (<c>https://billing.example.com</c>), for the test provider's pages; unset, the first address it listens on.</summary>
    public string? PublicUrl { get; set; }

    /// <summary>How far from now the time a Stripe or Paddle webhook was signed at may be (a replay is refused beyond).</summary>
    public TimeSpan SignatureTolerance { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Whether a provider is configured: its API key (Razorpay's key id) set, and LemonSqueezy's store and variant; the test provider, switched on.</summary>
    public bool Configures(PaymentProviderName name) => name switch
    {
        PaymentProviderName.Stripe => !string.IsNullOrEmpty(Stripe.SecretKey),
        PaymentProviderName.Razorpay => !string.IsNullOrEmpty(Razorpay.KeyId),
        PaymentProviderName.Paddle => !string.IsNullOrEmpty(Paddle.ApiKey),
        PaymentProviderName.LemonSqueezy => !string.IsNullOrEmpty(LemonSqueezy.ApiKey) && !string.IsNullOrEmpty(LemonSqueezy.StoreId) && !string.IsNullOrEmpty(LemonSqueezy.VariantId),
        _ => TestProvider,
    };

    /// <summary>
    /// The settings a call in <paramref name="test"/> mode is made with. Live: these. Test: each provider's sandbox
    /// credentials when set; else its live section only when that is recognisably a test credential itself
    /// (<c>sk_test_</c>, <c>rk_test_</c>, <c>rzp_test_</c>, <c>pdl_sdbx_</c>; LemonSqueezy's keys say nothing, so it needs
    /// its sandbox section); otherwise the provider serves no test-mode data: test data never moves real money.
    /// </summary>
    public PaymentsOptions InMode(bool test)
    {
        if (!test) return this;
        var o = Credentials.PaymentSettings.Copy(this);
        o.Stripe = Sandbox.Stripe.SecretKey is { Length: > 0 } ? Sandbox.Stripe : HasPrefix(Stripe.SecretKey, Marks.StripeTest) ? Stripe : new();
        o.Razorpay = Sandbox.Razorpay.KeyId is { Length: > 0 } ? Sandbox.Razorpay : HasPrefix(Razorpay.KeyId, Marks.RazorpayTest) ? Razorpay : new();
        o.Paddle = Sandbox.Paddle.ApiKey is { Length: > 0 } ? Sandbox.Paddle : HasPrefix(Paddle.ApiKey, Marks.PaddleTest) ? Paddle : new();
        o.LemonSqueezy = Sandbox.LemonSqueezy.ApiKey is { Length: > 0 } ? Sandbox.LemonSqueezy : new();
        return o;
    }

    /// <summary>How the providers' credentials say which environment they are for (LemonSqueezy's say nothing).</summary>
    internal static class Marks
    {
        public static readonly string[] StripeLive = ["sk_live_", "rk_live_"], StripeTest = ["sk_test_", "rk_test_"];
        public static readonly string[] RazorpayLive = ["rzp_live_"], RazorpayTest = ["rzp_test_"];
        public static readonly string[] PaddleLive = ["pdl_live_"], PaddleTest = [PaddleOptions.SandboxKeyPrefix];
    }

    /// <summary>Whether a credential says what it is by one of these prefixes (<c>sk_live_</c>, <c>sk_test_</c>, …; LemonSqueezy's keys say nothing).</summary>
    public static bool HasPrefix(string? credential, params string[] prefixes) =>
        credential is not null && prefixes.Any(p => credential.StartsWith(p, StringComparison.Ordinal));

    public IReadOnlyList<RoutingRule> Rules() =>
        Routing.Count == 0 ? PaymentRouting.Defaults : [.. Routing.Select(r => new RoutingRule(PaymentProviderNames.Parse(r.Provider)!.Value, r.Country?.ToUpperInvariant(), r.Currency?.ToUpperInvariant()))];
}

/// <summary><c>Payments:Sandbox</c>: each provider's test credentials, in the same shape as its live section.</summary>
public sealed class PaymentSandboxOptions
{
    public StripeOptions Stripe { get; set; } = new();
    public RazorpayOptions Razorpay { get; set; } = new();
    public PaddleOptions Paddle { get; set; } = new();
    public LemonSqueezyOptions LemonSqueezy { get; set; } = new();
}

public sealed class RoutingRuleOptions
{
    public string? Provider { get; set; }
    public string? Country { get; set; }
    public string? Currency { get; set; }
}

public sealed class StripeOptions
{
    public string? SecretKey { get; set; }
    public string? WebhookSecret { get; set; }

    /// <summary>The secret before the last rotation, still accepted until it is removed.</summary>
    public string? PreviousWebhookSecret { get; set; }
    public string BaseUrl { get; set; } = "https://api.stripe.com";
}

public sealed class RazorpayOptions
{
    public string? KeyId { get; set; }
    public string? KeySecret { get; set; }
    public string? WebhookSecret { get; set; }
    public string? PreviousWebhookSecret { get; set; }
    public string BaseUrl { get; set; } = "https://api.razorpay.com";
}

public sealed class PaddleOptions
{
    public const string LiveUrl = "https://api.paddle.com";
    public const string SandboxUrl = "https://sandbox-api.paddle.com";

    /// <summary>How Paddle's sandbox keys begin (live keys begin <c>pdl_live_</c>; keys made before May 2025 carry no mark).</summary>
    public const string SandboxKeyPrefix = "pdl_sdbx_";

    public string? ApiKey { get; set; }
    public string? WebhookSecret { get; set; }
    public string? PreviousWebhookSecret { get; set; }

    /// <summary>Paddle's live API; with a sandbox key, left as it is, its sandbox (<see cref="Providers.Paddle.PaddleProvider.BaseUrl"/>).</summary>
    public string BaseUrl { get; set; } = LiveUrl;
}

public sealed class LemonSqueezyOptions
{
    public string? ApiKey { get; set; }
    public string? StoreId { get; set; }

    /// <summary>
    /// The variant every invoice is sold as (a one-time product of the store, "Invoice", say): each checkout sets its
    /// price to the invoice's amount due (<c>custom_price</c>); LemonSqueezy makes no checkout without a variant.
    /// </summary>
    public string? VariantId { get; set; }
    public string? SigningSecret { get; set; }
    public string? PreviousSigningSecret { get; set; }
    public string BaseUrl { get; set; } = "https://api.lemonsqueezy.com";
}

sealed class PaymentsOptionsValidation : IValidateOptions<PaymentsOptions>
{
    public ValidateOptionsResult Validate(string? name, PaymentsOptions options)
    {
        var errors = new List<string>();
        void Provider(string section, string baseUrl, params (string Name, string? Value)[] credentials)
        {
            if (!Uri.TryCreate(baseUrl, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http"))
                errors.Add($"Payments:{section}:BaseUrl must be an absolute http or https URL.");
            var set = credentials.Where(c => !string.IsNullOrWhiteSpace(c.Value)).Select(c => c.Name).ToList();
            if (set.Count > 0 && set.Count < credentials.Length)
            {
                errors.Add($"Payments:{section} is half configured: set {string.Join(", ", credentials.Select(c => c.Name))} together " +
                           $"(missing {string.Join(", ", credentials.Where(c => string.IsNullOrWhiteSpace(c.Value)).Select(c => c.Name))}).");
            }
        }

        void Providers(string at, StripeOptions stripe, RazorpayOptions razorpay, PaddleOptions paddle, LemonSqueezyOptions lemon)
        {
            Provider($"{at}Stripe", stripe.BaseUrl, ("SecretKey", stripe.SecretKey), ("WebhookSecret", stripe.WebhookSecret));
            Provider($"{at}Razorpay", razorpay.BaseUrl, ("KeyId", razorpay.KeyId), ("KeySecret", razorpay.KeySecret), ("WebhookSecret", razorpay.WebhookSecret));
            Provider($"{at}Paddle", paddle.BaseUrl, ("ApiKey", paddle.ApiKey), ("WebhookSecret", paddle.WebhookSecret));
            if (PaymentsOptions.HasPrefix(paddle.ApiKey, PaymentsOptions.Marks.PaddleLive) && paddle.BaseUrl == PaddleOptions.SandboxUrl)
                errors.Add($"Payments:{at}Paddle:ApiKey is a live key, and Payments:{at}Paddle:BaseUrl is Paddle's sandbox: Paddle refuses live keys there.");
            Provider($"{at}LemonSqueezy", lemon.BaseUrl,
                ("ApiKey", lemon.ApiKey), ("StoreId", lemon.StoreId), ("VariantId", lemon.VariantId), ("SigningSecret", lemon.SigningSecret));
            foreach (var (field, id) in new[] { ("StoreId", lemon.StoreId), ("VariantId", lemon.VariantId) })
            {
                if (id is { Length: > 0 } && (id.Length > 18 || !id.All(char.IsAsciiDigit)))
                    errors.Add($"Payments:{at}LemonSqueezy:{field} must be LemonSqueezy's numeric id (its dashboard shows it).");
            }
        }

        Providers("", options.Stripe, options.Razorpay, options.Paddle, options.LemonSqueezy);
        var sandbox = options.Sandbox;
        Providers("Sandbox:", sandbox.Stripe, sandbox.Razorpay, sandbox.Paddle, sandbox.LemonSqueezy);
        foreach (var (field, value, prefixes) in new (string, string?, string[])[]
                 {
                     ("Stripe:SecretKey", sandbox.Stripe.SecretKey, PaymentsOptions.Marks.StripeLive), ("Razorpay:KeyId", sandbox.Razorpay.KeyId, PaymentsOptions.Marks.RazorpayLive),
                     ("Paddle:ApiKey", sandbox.Paddle.ApiKey, PaymentsOptions.Marks.PaddleLive),
                 })
        {
            if (PaymentsOptions.HasPrefix(value, prefixes)) errors.Add($"Payments:Sandbox:{field} is a live credential: the sandbox takes the provider's test credentials.");
        }
        for (var i = 0; i < options.Routing.Count; i++)
        {
            var rule = options.Routing[i];
            if (PaymentProviderNames.Parse(rule.Provider) is null)
                errors.Add($"Payments:Routing:{i}:Provider must be one of stripe, razorpay, paddle, lemonsqueezy, test.");
            if (rule.Country is not null && Common.Countries.Normalize(rule.Country) is null)
                errors.Add($"Payments:Routing:{i}:Country must be an ISO 3166-1 alpha-2 code.");
            if (rule.Currency is not null && Common.Currencies.Normalize(rule.Currency) is null)
                errors.Add($"Payments:Routing:{i}:Currency must be an ISO 4217 code.");
        }

        if (options.PublicUrl is { Length: > 0 } publicUrl && (!Uri.TryCreate(publicUrl, UriKind.Absolute, out var site) || site.Scheme is not ("https" or "http")))
            errors.Add("Payments:PublicUrl must be an absolute http or https URL.");
        if (options.SignatureTolerance < TimeSpan.FromSeconds(5) || options.SignatureTolerance > TimeSpan.FromHours(1))
            errors.Add("Payments:SignatureTolerance must be from 00:00:05 to 01:00:00.");
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
