using System.Text.Json;
using Dapper;
using Microsoft.Extensions.Options;
using Tollgate.Common;
using Tollgate.Payments.Providers;
using Tollgate.Secrets;
using Tollgate.Storage;

namespace Tollgate.Payments.Credentials;

/// <summary>
/// The payment settings in force: the <c>Payments</c> configuration, with each provider's section replaced by the
/// credentials the operator stored over the API (<c>payment_credentials</c>, sealed with <see cref="SecretBox"/>), when
/// it stored some. Loaded before the server takes requests, again after every change made here, and on every node
/// when another node announces one (<see cref="ChangeKind.PaymentCredentials"/>). Read it anew for each use: a change
/// swaps in a new snapshot.
/// </summary>
public sealed partial class PaymentSettings(IOptions<PaymentsOptions> configured, Database database, SecretBox secrets, ILogger<PaymentSettings> log) : IHostedService
{
    volatile PaymentsOptions _current = configured.Value;
    volatile PaymentsOptions _test = configured.Value.InMode(test: true);
    volatile IReadOnlyDictionary<PaymentProviderName, DateTimeOffset> _stored = new Dictionary<PaymentProviderName, DateTimeOffset>();
    readonly SemaphoreSlim _loading = new(1, 1);

    /// <summary>The settings in force for the mode the caller is in (<see cref="PaymentMode"/>): live, or test.</summary>
    public PaymentsOptions Current => PaymentMode.IsTest ? _test : _current;

    /// <summary>The live settings, whatever the mode: the configuration with the credentials stored over the API.</summary>
    public PaymentsOptions Live => _current;

    /// <summary>The providers whose credentials were stored over the API, and when.</summary>
    public IReadOnlyDictionary<PaymentProviderName, DateTimeOffset> Stored => _stored;

    public static string SecretContext(PaymentProviderName provider) => $"payment_credentials:{provider.Text()}";

    public Task StartAsync(CancellationToken cancellationToken) => ReloadAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    sealed record Row(string Provider, string Sealed, DateTimeOffset UpdatedAt);

    /// <summary>Reads the stored credentials and swaps in the settings they make; one load at a time, so the newest read wins.</summary>
    public async Task ReloadAsync(CancellationToken ct)
    {
        await _loading.WaitAsync(ct);
        try
        {
            List<Row> rows;
            await using (var connection = await database.OpenAsync(ct))
            {
                rows = [.. await connection.QueryAsync<Row>("SELECT provider, sealed, updated_at FROM payment_credentials")];
            }

            var settings = Copy(configured.Value);
            var stored = new Dictionary<PaymentProviderName, DateTimeOffset>();
            foreach (var row in rows)
            {
                if (PaymentProviderNames.Parse(row.Provider) is not { } name) continue;
                if (secrets.Open(row.Sealed, SecretContext(name)) is not { } json)
                {
                    LogUnreadable(log, row.Provider);
                    continue;
                }

                Apply(settings, name, json);
                stored[name] = row.UpdatedAt;
            }

            _test = settings.InMode(test: true);
            _current = settings;
            _stored = stored;
        }
        finally
        {
            _loading.Release();
        }
    }

    /// <summary>A reload, for a change another node announced; a failure keeps the settings in force and is logged.</summary>
    public void ReloadSoon() => _ = Task.Run(async () =>
    {
        try
        {
            await ReloadAsync(CancellationToken.None);
        }
        catch (Exception e)
        {
            LogReloadFailed(log, e);
        }
    });

    /// <summary>Settings with one provider's section replaced by stored JSON (its options type, in the API's snake_case).</summary>
    public static void Apply(PaymentsOptions settings, PaymentProviderName provider, string json)
    {
        switch (provider)
        {
            case PaymentProviderName.Stripe: settings.Stripe = JsonSerializer.Deserialize<StripeOptions>(json, ApiJson.Options)!; break;
            case PaymentProviderName.Razorpay: settings.Razorpay = JsonSerializer.Deserialize<RazorpayOptions>(json, ApiJson.Options)!; break;
            case PaymentProviderName.Paddle: settings.Paddle = JsonSerializer.Deserialize<PaddleOptions>(json, ApiJson.Options)!; break;
            case PaymentProviderName.LemonSqueezy: settings.LemonSqueezy = JsonSerializer.Deserialize<LemonSqueezyOptions>(json, ApiJson.Options)!; break;
        }
    }

    /// <summary>A copy whose provider sections can be replaced without touching the configuration's.</summary>
    public static PaymentsOptions Copy(PaymentsOptions o) => new()
    {
        Stripe = o.Stripe, Razorpay = o.Razorpay, Paddle = o.Paddle, LemonSqueezy = o.LemonSqueezy, Routing = o.Routing, TestProvider = o.TestProvider,
        PublicUrl = o.PublicUrl, SignatureTolerance = o.SignatureTolerance, Sandbox = o.Sandbox,
    };

    [LoggerMessage(EventId = 13010, Level = LogLevel.Error,
        Message = "The stored credentials of {Provider} do not decrypt with this server's secrets key; its configuration is used instead")]
    static partial void LogUnreadable(ILogger logger, string provider);

    [LoggerMessage(EventId = 13011, Level = LogLevel.Warning, Message = "Could not reload the stored payment credentials; the settings in force stay")]
    static partial void LogReloadFailed(ILogger logger, Exception exception);
}
