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

    public FakeTime Clock { get; } = new();

    public string AdminKey { get; private set; } = "";

    public Uri BaseAddress { get; private set; } = null!;

    public ApiClient Admin => Client(AdminKey);

    public IServiceProvider Services => _app!.Services;

    public string ConnectionString => _database!.ConnectionString;

    protected abstract Task<ITestDatabase> CreateDatabaseAsync();

    public ApiClient Client(string? key) => new(BaseAddress, key);

    public T Get<T>() where T : notnull => _app!.Services.GetRequiredService<T>();

    public async Task InitializeAsync()
    {
        _database = await CreateDatabaseAsync();
        _app = TollgateApp.Build(
            ["--urls=http://127.0.0.1:0", $"--Storage:ConnectionString={_database.ConnectionString}", "--Logging:LogLevel:Default=Warning"],
            b => b.Services.AddSingleton<TimeProvider>(Clock));
        await Get<Migrator>().MigrateAsync();
        await Get<AdminKeyBootstrap>().RunAsync(CancellationToken.None);
        var admin = await Get<ApiKeyStore>().CreateAsync(
            new NewKey(KeyKind.Admin, KeyMode.Live, null, "Test admin", null, [Scopes.Admin], null), Actor.System, CancellationToken.None);
        AdminKey = admin.Value.Secret!;
        await _app.StartAsync();
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseAddress = new Uri(address);
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        if (_database is not null) await _database.DisposeAsync();
    }
}

public sealed class SqliteServer : TollgateServer
{
    protected override Task<ITestDatabase> CreateDatabaseAsync() => Task.FromResult<ITestDatabase>(new SqliteTestDatabase());
}

public sealed class PostgresServer : TollgateServer
{
    protected override async Task<ITestDatabase> CreateDatabaseAsync() => await PostgresTestDatabase.CreateAsync();
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
