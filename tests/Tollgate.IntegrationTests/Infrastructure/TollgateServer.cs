using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Tollgate.ApiKeys;
using Tollgate.Common;
using Tollgate.Storage;

namespace Tollgate.IntegrationTests.Infrastructure;

/// <summary>
/// The real Tollgate on a loopback port, on a fresh database, with a fake clock and an admin key.
/// One per database per test collection; tests keep out of each other's way by creating their own records.
/// </summary>
public abstract class TollgateServer : IAsyncLifetime
{
    WebApplication? _app;
    ITestDatabase? _database;
    readonly string _journal = Directory.CreateTempSubdirectory("tollgate-journal-").FullName;

    protected TollgateServer(FakeTime? clock = null) => Clock = clock ?? new FakeTime();

    public FakeTime Clock { get; }

    public string AdminKey { get; private set; } = "";

    public Uri BaseAddress { get; private set; } = null!;

    public ApiClient Admin => Client(AdminKey);

    /// <summary>A test-mode admin key: test clocks and the customers on them are test mode's.</summary>
    public ApiClient TestAdmin => Client(TestAdminKey);

    public string TestAdminKey { get; private set; } = "";

    public IServiceProvider Services => _app!.Services;

    public string ConnectionString => _database!.ConnectionString;

    /// <summary>The model provider the gateway is configured to call.</summary>
    public FakeUpstream Upstream { get; private set; } = null!;

    /// <summary>Stripe, on loopback: the payment provider of every customer outside India.</summary>
    public FakeStripe Stripe { get; private set; } = null!;

    /// <summary>Razorpay, on loopback: the payment provider of customers in India or paying in rupees.</summary>
    public FakeRazorpay Razorpay { get; private set; } = null!;

    /// <summary>Paddle, on loopback: merchant of record for the customers the operator puts on it.</summary>
    public FakePaddle Paddle { get; private set; } = null!;

    /// <summary>LemonSqueezy, on loopback: merchant of record for the customers the operator puts on it.</summary>
    public FakeLemonSqueezy LemonSqueezy { get; private set; } = null!;

    protected abstract Task<ITestDatabase> CreateDatabaseAsync();

    /// <summary>Settings of this kind of server on top of the common ones.</summary>
    protected virtual string[] Settings => [];

    public ApiClient Client(string? key) => new(BaseAddress, key);

    public T Get<T>() where T : notnull => _app!.Services.GetRequiredService<T>();

    public async Task InitializeAsync()
    {
        _database = await CreateDatabaseAsync();
        Upstream = await FakeUpstream.StartAsync();
        Stripe = await FakeStripe.StartAsync();
        Stripe.Time = Clock;
        Razorpay = await FakeRazorpay.StartAsync();
        Razorpay.Time = Clock;
        Paddle = await FakePaddle.StartAsync();
        Paddle.Time = Clock;
        LemonSqueezy = await FakeLemonSqueezy.StartAsync();
        LemonSqueezy.Time = Clock;
        _app = TollgateApp.Build(
            ["--urls=http://127.0.0.1:0", $"--Storage:ConnectionString={_database.ConnectionString}", "--Logging:LogLevel:Default=Warning",
             $"--Gateway:Journal:Directory={_journal}", .. GatewaySettings(Upstream.BaseAddress),
             "--Billing:RunEvery=00:00:00", // tests run invoice runs themselves, when they mean to
             "--Webhooks:AllowPrivateAddresses=true", // the receivers listen on loopback
             "--Webhooks:ConcurrencyPerEndpoint=4", // fewer than a test's events: a hanging endpoint holds its share, and no more
             "--Billing:FallbackPlan=fallback_free", // exists only while the test of the fallback runs
             $"--Payments:Stripe:SecretKey={FakeStripe.SecretKey}", $"--Payments:Stripe:WebhookSecret={FakeStripe.WebhookSecret}",
             $"--Payments:Stripe:BaseUrl={Stripe.BaseAddress}", "--Payments:TestProvider=true",
             $"--Payments:Razorpay:KeyId={FakeRazorpay.KeyId}", $"--Payments:Razorpay:KeySecret={FakeRazorpay.KeySecret}",
             $"--Payments:Razorpay:WebhookSecret={FakeRazorpay.WebhookSecret}", $"--Payments:Razorpay:BaseUrl={Razorpay.BaseAddress}",
             $"--Payments:Paddle:ApiKey={FakePaddle.ApiKey}", $"--Payments:Paddle:WebhookSecret={FakePaddle.WebhookSecret}", $"--Payments:Paddle:BaseUrl={Paddle.BaseAddress}",
             $"--Payments:LemonSqueezy:ApiKey={FakeLemonSqueezy.ApiKey}", $"--Payments:LemonSqueezy:StoreId={FakeLemonSqueezy.StoreId}",
             $"--Payments:LemonSqueezy:VariantId={FakeLemonSqueezy.VariantId}", $"--Payments:LemonSqueezy:SigningSecret={FakeLemonSqueezy.SigningSecret}",
             $"--Payments:LemonSqueezy:BaseUrl={LemonSqueezy.BaseAddress}",
             // LemonSqueezy's keys do not say their mode, so test-mode data (the test-mode admin key's) needs its sandbox section: the same fake.
             $"--Payments:Sandbox:LemonSqueezy:ApiKey={FakeLemonSqueezy.ApiKey}", $"--Payments:Sandbox:LemonSqueezy:StoreId={FakeLemonSqueezy.StoreId}",
             $"--Payments:Sandbox:LemonSqueezy:VariantId={FakeLemonSqueezy.VariantId}", $"--Payments:Sandbox:LemonSqueezy:SigningSecret={FakeLemonSqueezy.SigningSecret}",
             $"--Payments:Sandbox:LemonSqueezy:BaseUrl={LemonSqueezy.BaseAddress}",
             .. Settings],
            b => b.Services.AddSingleton<TimeProvider>(Clock));
        await Get<Migrator>().MigrateAsync();
        await Get<AdminKeyBootstrap>().RunAsync(CancellationToken.None);
        var admin = await Get<ApiKeyStore>().CreateAsync(
            new NewKey(KeyKind.Admin, KeyMode.Live, null, "Test admin", null, [Scopes.Admin], null), Actor.System, CancellationToken.None);
        AdminKey = admin.Value.Secret!;
        TestAdminKey = (await Get<ApiKeyStore>().CreateAsync(
            new NewKey(KeyKind.Admin, KeyMode.Test, null, "Test-mode admin", null, [Scopes.Admin], null), Actor.System, CancellationToken.None)).Value.Secret!;
        await _app.StartAsync();
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseAddress = new Uri(address);
        Stripe.WebhookTarget = new Uri(BaseAddress, "/webhooks/stripe");
        Razorpay.WebhookTarget = new Uri(BaseAddress, "/webhooks/razorpay");
        Paddle.WebhookTarget = new Uri(BaseAddress, "/webhooks/paddle");
        LemonSqueezy.WebhookTarget = new Uri(BaseAddress, "/webhooks/lemonsqueezy");
    }

    /// <summary>
    /// Providers and models pointing at the fake upstream, with fixed prices: fake-gpt $1 in, $0.50 cached, $2 out per
    /// million tokens; fake-claude $3 in, $0.30 cache read, $3.75 cache write, $15 out; and a 20% markup on the pro plan.
    /// </summary>
    static string[] GatewaySettings(Uri upstream)
    {
        var settings = new Dictionary<string, string>
        {
            ["AllowPrivateAddresses"] = "true", // the fake upstream listens on loopback
            ["MaxResponseBytes"] = "1048576",
            ["Providers:fake-openai:Kind"] = "openai",
            ["Providers:fake-openai:BaseUrl"] = new Uri(upstream, "/v1").ToString(),
            ["Providers:fake-openai:ApiKey"] = FakeUpstream.OpenAIKey,
            ["Providers:fake-anthropic:Kind"] = "anthropic",
            ["Providers:fake-anthropic:BaseUrl"] = new Uri(upstream, "/anthropic/v1").ToString(),
            ["Providers:fake-anthropic:ApiKey"] = FakeUpstream.AnthropicKey,
            ["Providers:fake-openai-new:Kind"] = "openai", // reads max_completion_tokens, as api.openai.com does
            ["Providers:fake-openai-new:BaseUrl"] = new Uri(upstream, "/v1").ToString(),
            ["Providers:fake-openai-new:ApiKey"] = FakeUpstream.OpenAIKey,
            ["Providers:fake-openai-new:MaxTokensParameter"] = "max_completion_tokens",
            ["Models:flaky-new:Provider"] = "fake-openai-new",
            ["Models:flaky-new:Model"] = "fail-500",
            ["Models:flaky-new:PriceAs"] = "fake-gpt",
            ["Models:flaky-new:Fallbacks:0"] = "gpt-test",
            ["Providers:fake-slow:Kind"] = "openai",
            ["Providers:fake-slow:BaseUrl"] = new Uri(upstream, "/v1").ToString(),
            ["Providers:fake-slow:ApiKey"] = FakeUpstream.OpenAIKey,
            ["Providers:fake-slow:TimeoutSeconds"] = "1",
            ["Models:gpt-test:Provider"] = "fake-openai",
            ["Models:gpt-test:Model"] = "fake-gpt",
            ["Models:claude-test:Provider"] = "fake-anthropic",
            ["Models:claude-test:Model"] = "fake-claude",
            ["Models:premium-test:Provider"] = "fake-openai",
            ["Models:premium-test:Model"] = "fake-gpt",
            ["Models:premium-test:Feature"] = "premium_models",
            ["Models:flaky:Provider"] = "fake-openai",
            ["Models:flaky:Model"] = "fail-500",
            ["Models:flaky:PriceAs"] = "fake-gpt",
            ["Models:flaky:Fallbacks:0"] = "gpt-test",
            ["Models:limited:Provider"] = "fake-openai",
            ["Models:limited:Model"] = "fail-429",
            ["Models:hang:Provider"] = "fake-slow",
            ["Models:hang:Model"] = "hang",
            ["Models:hang:Fallbacks:0"] = "claude-test",
            ["Models:bad-json:Provider"] = "fake-openai",
            ["Models:bad-json:Model"] = "bad-json",
            ["Models:cut-stream:Provider"] = "fake-openai",
            ["Models:cut-stream:Model"] = "cut-stream",
            ["Models:cut-stream:PriceAs"] = "fake-gpt",
            ["Models:cut-stream-4o:Provider"] = "fake-openai", // a cut stream priced, and so tokenized, as gpt-4o-mini
            ["Models:cut-stream-4o:Model"] = "cut-stream",
            ["Models:cut-stream-4o:PriceAs"] = "gpt-4o-mini",
            ["Models:held-stream:Provider"] = "fake-openai",
            ["Models:held-stream:Model"] = "held-stream",
            ["Models:held-stream:PriceAs"] = "fake-gpt",
            ["Models:huge:Provider"] = "fake-openai",
            ["Models:huge:Model"] = "huge",
            ["Models:huge:PriceAs"] = "fake-gpt",
            ["Models:embed-test:Provider"] = "fake-openai",
            ["Models:embed-test:Model"] = "fake-embed",
            ["Models:embed-test:Type"] = "embedding",
            ["Models:image-test:Provider"] = "fake-openai",
            ["Models:image-test:Model"] = "fake-image",
            ["Models:image-test:Type"] = "image",
            ["Prices:fake-gpt:Input"] = "1",
            ["Prices:fake-gpt:CachedInput"] = "0.5",
            ["Prices:fake-gpt:Output"] = "2",
            ["Prices:fake-claude:Input"] = "3",
            ["Prices:fake-claude:CachedInput"] = "0.3",
            ["Prices:fake-claude:CacheWrite"] = "3.75",
            ["Prices:fake-claude:Output"] = "15",
            ["Prices:fake-embed:Input"] = "0.1",
            ["Prices:fake-image:PerImage"] = "0.04",
            ["Markups:pro"] = "20",
        };
        return [.. settings.Select(s => $"--Gateway:{s.Key}={s.Value}")];
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        if (_database is not null) await _database.DisposeAsync();
        if (Upstream is not null) await Upstream.DisposeAsync();
        if (Stripe is not null) await Stripe.DisposeAsync();
        if (Razorpay is not null) await Razorpay.DisposeAsync();
        if (Paddle is not null) await Paddle.DisposeAsync();
        if (LemonSqueezy is not null) await LemonSqueezy.DisposeAsync();
        Directory.Delete(_journal, recursive: true);
    }

    /// <summary>This node's usage journal folder.</summary>
    public string JournalDirectory => _journal;
}

/// <summary>Finds its secrets key file beside the database, creating it on first use.</summary>
public sealed class SqliteServer : TollgateServer
{
    protected override Task<ITestDatabase> CreateDatabaseAsync() => Task.FromResult<ITestDatabase>(new SqliteTestDatabase());
}

/// <summary>Is given its secrets key, as every node sharing a PostgreSQL database must be.</summary>
public sealed class PostgresServer : TollgateServer
{
    public string SecretsKey { get; } = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));

    protected override string[] Settings => [$"--Secrets:Key={SecretsKey}"];

    protected override async Task<ITestDatabase> CreateDatabaseAsync() => await PostgresTestDatabase.CreateAsync();
}

/// <summary>
/// A second node: another Tollgate on the database of <paramref name="first"/>, with its secrets key and its clock,
/// sharing nothing else with it. Disposing it leaves the database to the first node.
/// </summary>
public sealed class PostgresPeer(PostgresServer first) : TollgateServer(first.Clock)
{
    protected override string[] Settings => [$"--Secrets:Key={first.SecretsKey}"];

    protected override Task<ITestDatabase> CreateDatabaseAsync() => Task.FromResult<ITestDatabase>(new Borrowed(first.ConnectionString));

    sealed record Borrowed(string ConnectionString) : ITestDatabase
    {
        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}

[CollectionDefinition(Name)]
public sealed class SqliteCollection : ICollectionFixture<SqliteServer>
{
    public const string Name = "sqlite";
}

[CollectionDefinition(Name)]
public sealed class PostgresCollection : ICollectionFixture<PostgresServer>
{
    public const string Name = "postgres";
}
