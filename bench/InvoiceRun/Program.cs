// bench/InvoiceRun: an invoice run over N subscriptions whose period has just ended, each with a month of metered
// usage (K events), on SQLite or PostgreSQL. Seeds the database directly (bulk inserts, as the arrange step), then
// times the production InvoiceRunner in this process: the same code POST /api/v1/invoice-runs calls.
//   dotnet run -c Release --project bench/InvoiceRun -- <connection string> <subscriptions> <events each>
using System.Diagnostics;
using System.Text.Json;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Tollgate;
using Tollgate.Billing.Runs;
using Tollgate.Catalog;
using Tollgate.Common;
using Tollgate.Storage;

var connectionString = args.Length > 0 ? args[0] : $"Data Source={Path.Combine(Path.GetTempPath(), $"tollgate-invoice-run-{Guid.NewGuid():N}.db")}";
var count = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 10_000;
var eventsEach = args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 30;

var app = TollgateApp.Build([$"--Storage:ConnectionString={connectionString}", "--Logging:LogLevel:Default=Warning",
    $"--Secrets:Key={Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32))}"]);
var database = app.Services.GetRequiredService<Database>();
await app.Services.GetRequiredService<Migrator>().MigrateAsync();

var document = JsonSerializer.Deserialize<CatalogDocument>("""
    {"metrics": [{"code": "bench_calls", "name": "API calls", "aggregation": "sum", "field": "calls"}],
     "plans": [{"code": "bench_pro", "name": "Pro", "prices": [{"interval": "month", "currency": "USD", "amount": 2900}],
                "charges": [{"metric": "bench_calls", "currency": "USD", "model": "graduated",
                             "properties": {"tiers": [{"up_to": 1000, "unit_amount": 0}, {"up_to": 100000, "unit_amount": 0.2}, {"unit_amount": 0.1}]}}]}]}
    """, ApiJson.Options)!;
var applied = await app.Services.GetRequiredService<CatalogApplier>().ApplyAsync(document, dryRun: false, Actor.System, default);
if (!applied.IsOk) throw new InvalidOperationException(applied.Error.Message);

var end = DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.AddMinutes(-5).ToUnixTimeSeconds());
var start = end.AddMonths(-1);
var seed = Stopwatch.StartNew();
const int Chunk = 5_000;
for (var from = 0; from < count; from += Chunk)
{
    var ids = Enumerable.Range(from, Math.Min(Chunk, count - from)).ToList();
    await database.InTransactionAsync(async (connection, tx) =>
    {
        await BulkInsert.InsertNewAsync(connection, tx, "customers", "id", CustomerColumns(), ids, default);
        await BulkInsert.InsertNewAsync(connection, tx, "subscriptions", "id", Subscriptions(start, end), ids, default);
        var events = ids.SelectMany(i => Enumerable.Range(0, eventsEach).Select(e => (Customer: i, Event: e))).ToList();
        await BulkInsert.InsertNewAsync(connection, tx, "events", "id", Events(start, end, eventsEach), events, default);
        return 0;
    });
}

Console.WriteLine($"seeded {count:N0} subscriptions and {(long)count * eventsEach:N0} events in {seed.Elapsed.TotalSeconds:F1} s ({database.Kind})");
var runner = app.Services.GetRequiredService<InvoiceRunner>();
var timer = Stopwatch.StartNew();
var result = await runner.RunAsync(Actor.System, default);
timer.Stop();
await using (var connection = await database.OpenAsync())
{
    var total = await connection.ExecuteScalarAsync<long>("SELECT COALESCE(SUM(total), 0) FROM invoices");
    Console.WriteLine($"invoice run: {result.PeriodsBilled:N0} periods, {result.InvoicesCreated:N0} invoices, {result.Failed.Count} failed, " +
        $"in {timer.Elapsed.TotalSeconds:F1} s ({result.PeriodsBilled / timer.Elapsed.TotalSeconds:N0} periods/s); invoiced {total:N0} minor units");
}

static IReadOnlyList<BulkColumn<int>> CustomerColumns() =>
[
    BulkColumn<int>.Text("id", i => $"cus_bench{i:D7}"),
    BulkColumn<int>.Text("name", i => $"Customer {i}"),
    BulkColumn<int>.Text("currency", _ => "USD"),
    BulkColumn<int>.Text("metadata", _ => "{}"),
    BulkColumn<int>.Text("plan_code", _ => "bench_pro"),
    BulkColumn<int>.Int("plan_version", _ => 1),
    BulkColumn<int>.Bool("tax_exempt", _ => false),
    BulkColumn<int>.Timestamp("created_at", _ => DateTimeOffset.UtcNow),
    BulkColumn<int>.Timestamp("updated_at", _ => DateTimeOffset.UtcNow),
];

static IReadOnlyList<BulkColumn<int>> Subscriptions(DateTimeOffset start, DateTimeOffset end) =>
[
    BulkColumn<int>.Text("id", i => $"sub_bench{i:D7}"),
    BulkColumn<int>.Text("customer_id", i => $"cus_bench{i:D7}"),
    BulkColumn<int>.Text("plan_code", _ => "bench_pro"),
    BulkColumn<int>.Int("plan_version", _ => 1),
    BulkColumn<int>.Text("billing_interval", _ => "month"),
    BulkColumn<int>.Text("currency", _ => "USD"),
    BulkColumn<int>.Long("quantity", _ => 1),
    BulkColumn<int>.Long("unit_amount", _ => 2900),
    BulkColumn<int>.Text("status", _ => "active"),
    BulkColumn<int>.Timestamp("billing_anchor", _ => start),
    BulkColumn<int>.Timestamp("current_period_start", _ => start),
    BulkColumn<int>.Timestamp("current_period_end", _ => end),
    BulkColumn<int>.Bool("cancel_at_period_end", _ => false),
    BulkColumn<int>.Timestamp("created_at", _ => start),
    BulkColumn<int>.Timestamp("updated_at", _ => start),
];

static IReadOnlyList<BulkColumn<(int Customer, int Event)>> Events(DateTimeOffset start, DateTimeOffset end, int each) =>
[
    BulkColumn<(int Customer, int Event)>.Text("id", e => $"evt_bench{e.Customer:D7}x{e.Event:D4}"),
    BulkColumn<(int Customer, int Event)>.Text("customer_id", e => $"cus_bench{e.Customer:D7}"),
    BulkColumn<(int Customer, int Event)>.Text("idempotency_key", e => $"k{e.Event}"),
    BulkColumn<(int Customer, int Event)>.Text("code", _ => "bench_calls"),
    BulkColumn<(int Customer, int Event)>.Timestamp("occurred_at", e => start + (end - start) * (e.Event + 0.5) / each),
    BulkColumn<(int Customer, int Event)>.Text("properties", e => $$"""{"calls":{{100 + (e.Customer * 7 + e.Event * 13) % 900}}}"""),
    BulkColumn<(int Customer, int Event)>.Text("source", _ => "api"),
    BulkColumn<(int Customer, int Event)>.Text("key_id", _ => null),
    BulkColumn<(int Customer, int Event)>.Timestamp("received_at", e => start + (end - start) * (e.Event + 0.5) / each),
];
