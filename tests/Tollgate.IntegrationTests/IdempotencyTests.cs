using Dapper;
using Tollgate.IntegrationTests.Infrastructure;
using Tollgate.Storage;

namespace Tollgate.IntegrationTests;

public abstract class IdempotencyTests(TollgateServer server)
{
    async Task<string?> StoredAnswerAsync(string idempotencyKey)
    {
        await using var connection = await server.Get<Database>().OpenAsync();
        return await connection.QuerySingleAsync<string?>(
            "SELECT response_body FROM idempotency_keys WHERE idempotency_key = @idempotencyKey", new { idempotencyKey });
    }

    [Fact]
    public async Task A_replayed_key_creation_answers_with_its_secret_which_is_never_stored_in_plaintext()
    {
        var customer = await server.Admin.PostAsync("/api/v1/customers", new { name = "Retrying" });
        var idempotencyKey = Guid.NewGuid().ToString();

        var first = await server.Admin.PostAsync("/api/v1/keys", new { name = "app", customer_id = customer.Id }, idempotencyKey);
        var replay = await server.Admin.PostAsync("/api/v1/keys", new { name = "app", customer_id = customer.Id }, idempotencyKey);

        var secret = first.Str("secret")!;
        replay.Raw.Headers.GetValues("Idempotent-Replayed").ShouldBe(["true"]);
        replay.Str("secret").ShouldBe(secret);
        var stored = await StoredAnswerAsync(idempotencyKey);
        stored.ShouldNotBeNull();
        stored.ShouldNotContain(secret);
        stored.ShouldNotContain(secret[^12..]);
    }

    [Fact]
    public async Task Rotated_keys_and_invitation_tokens_are_not_stored_in_plaintext_either()
    {
        var customer = await server.Admin.PostAsync("/api/v1/customers", new { name = "Rotating" });
        var key = await server.Admin.PostAsync("/api/v1/keys", new { name = "app", customer_id = customer.Id });
        var rotateKey = Guid.NewGuid().ToString();
        var inviteKey = Guid.NewGuid().ToString();

        var rotated = await server.Admin.PostAsync($"/api/v1/keys/{key.Id}/rotate", new { }, rotateKey);
        var invitation = await server.Admin.PostAsync($"/api/v1/customers/{customer.Id}/invitations", new { email = "a@team.example" }, inviteKey);

        (await StoredAnswerAsync(rotateKey))!.ShouldNotContain(rotated.Str("secret")!);
        (await StoredAnswerAsync(inviteKey))!.ShouldNotContain(invitation.Str("token")!);
    }

    [Fact]
    public async Task A_request_that_committed_but_lost_its_answer_is_never_run_again()
    {
        var idempotencyKey = Guid.NewGuid().ToString();
        var externalId = $"lost-{Guid.NewGuid():N}";
        (await server.Admin.PostAsync("/api/v1/customers", new { name = "Once", external_id = externalId }, idempotencyKey)).Status
            .ShouldBe(HttpStatusCode.Created);
        await using (var connection = await server.Get<Database>().OpenAsync())
        {
            // What a node that died between its commit and storing the answer leaves behind.
            await connection.ExecuteAsync(
                "UPDATE idempotency_keys SET status = 'applied', response_body = NULL WHERE idempotency_key = @idempotencyKey", new { idempotencyKey });
        }

        server.Clock.Advance(TimeSpan.FromMinutes(5));
        var retry = await server.Admin.PostAsync("/api/v1/customers", new { name = "Once", external_id = externalId }, idempotencyKey);

        retry.Status.ShouldBe(HttpStatusCode.Conflict);
        retry.Code.ShouldBe("idempotency_key_applied");
        (await server.Admin.GetAsync($"/api/v1/customers?external_id={externalId}")).Data.Count.ShouldBe(1);
    }
}

[Collection(SqliteCollection.Name)]
public sealed class IdempotencyOnSqlite(SqliteServer server) : IdempotencyTests(server);

[Collection(PostgresCollection.Name)]
public sealed class IdempotencyOnPostgres(PostgresServer server) : IdempotencyTests(server)
{
    /// <summary>
    /// A request held up past <see cref="Tollgate.Idempotency.IdempotencyStore.AbandonedAfter"/> while a retry takes its
    /// claim over: both reach their insert, and exactly one may commit. PostgreSQL only: holding one request inside its
    /// transaction while another starts needs a table lock that does not also block the claim, which SQLite cannot do.
    /// </summary>
    [Fact]
    public async Task A_slow_request_whose_claim_was_taken_over_cannot_commit_so_it_never_runs_twice()
    {
        var idempotencyKey = Guid.NewGuid().ToString();
        var name = $"slow-{Guid.NewGuid():N}"; // no external id: its unique index would refuse a second run by itself
        var body = new { name };
        await using var blocker = await server.Get<Database>().OpenAsync();
        await using var lockTx = await blocker.BeginTransactionAsync();
        await blocker.ExecuteAsync("LOCK TABLE customers IN SHARE MODE", transaction: lockTx);

        var first = server.Admin.PostAsync("/api/v1/customers", body, idempotencyKey);
        await WaitForWaitersAsync(1);
        server.Clock.Advance(TimeSpan.FromMinutes(2));
        var second = server.Admin.PostAsync("/api/v1/customers", body, idempotencyKey);
        await WaitForWaitersAsync(2);
        await lockTx.CommitAsync();

        var answers = await Task.WhenAll(first, second);

        answers.Count(a => a.Status == HttpStatusCode.Created).ShouldBe(1);
        answers.Single(a => a.Status != HttpStatusCode.Created).Code.ShouldBe("idempotency_in_progress");
        (await blocker.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM customers WHERE name = @name", new { name })).ShouldBe(1);
    }

    async Task WaitForWaitersAsync(int count)
    {
        await using var connection = await server.Get<Database>().OpenAsync();
        for (var i = 0; i < 1000; i++)
        {
            var waiting = await connection.ExecuteScalarAsync<long>(
                "SELECT COUNT(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%INSERT INTO customers%'");
            if (waiting >= count) return;
            await Task.Delay(10);
        }

        throw new TimeoutException($"Fewer than {count} requests reached the locked table.");
    }
}
