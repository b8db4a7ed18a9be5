using Dapper;
using Tollgate.IntegrationTests.Infrastructure;
using Tollgate.Storage;

namespace Tollgate.IntegrationTests;

/// <summary>
/// Timestamps written through any path (a store's Dapper parameters, a bulk insert) compare correctly with each other
/// and with timestamps passed as parameters: on SQLite they are text, so they must all be written the same way.
/// </summary>
public abstract class StorageFormatTests(TollgateServer server)
{
    [Fact]
    public async Task Timestamps_from_every_write_path_compare_in_time_order()
    {
        var customer = await server.Admin.PostAsync("/api/v1/customers", new { name = "Window" });
        var now = server.Clock.GetUtcNow();
        var sent = await server.Admin.PostAsync("/api/v1/events", new { id = "earlier", code = "tick", customer_id = customer.Id, timestamp = now.AddSeconds(-1) });
        sent.Str("status").ShouldBe("accepted");
        await using var connection = await server.Get<Database>().OpenAsync();
        var window = new { id = customer.Id, from = now.AddSeconds(-2), to = now.AddSeconds(1) };

        (await connection.ExecuteScalarAsync<long>(
            "SELECT COUNT(*) FROM customers WHERE id = @id AND created_at >= @from AND created_at < @to", window)).ShouldBe(1);
        (await connection.ExecuteScalarAsync<long>(
            "SELECT COUNT(*) FROM events WHERE customer_id = @id AND occurred_at >= @from AND occurred_at < @to", window)).ShouldBe(1);
        // The customer was created a second after the event happened, and the database sees it so.
        (await connection.ExecuteScalarAsync<long>(
            "SELECT COUNT(*) FROM customers c JOIN events e ON e.customer_id = c.id WHERE c.id = @id AND c.created_at > e.occurred_at", window)).ShouldBe(1);
    }

    [Fact]
    public async Task A_list_parameter_matches_exactly_its_values_whatever_they_hold()
    {
        var awkward = new[] { "O'Brien & \"Sons\"", "naïve ☃ 東京", "back\\slash" };
        var made = new List<string>();
        foreach (var name in awkward) made.Add((await server.Admin.PostAsync("/api/v1/customers", new { name })).Id);
        var database = server.Get<Database>();
        await using var connection = await database.OpenAsync();

        async Task<List<string>> NamesOf(IEnumerable<string> ids) => [.. await connection.QueryAsync<string>(
            $"SELECT name FROM customers WHERE id {database.AnyOf("ids")} ORDER BY name", new { ids = database.ListOf(ids) })];

        (await NamesOf(made)).ShouldBe(awkward, ignoreOrder: true);
        (await NamesOf([made[1], "cus_missing"])).ShouldBe(["naïve ☃ 東京"]);
        (await NamesOf([])).ShouldBeEmpty();
        // A thousand values in one parameter: what Dapper would have expanded into a thousand.
        (await NamesOf([.. Enumerable.Range(0, 1_000).Select(i => $"cus_none{i}"), made[0]])).ShouldBe([awkward[0]]);
    }
}

[Collection(SqliteCollection.Name)]
public sealed class StorageFormatOnSqlite(SqliteServer server) : StorageFormatTests(server);

[Collection(PostgresCollection.Name)]
public sealed class StorageFormatOnPostgres(PostgresServer server) : StorageFormatTests(server);
