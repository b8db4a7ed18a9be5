using Dapper;
using Tollgate.Common;
using Tollgate.IntegrationTests.Infrastructure;
using Tollgate.Payments.Ledger;
using Tollgate.Payments.Providers;
using Tollgate.Storage;

namespace Tollgate.IntegrationTests;

/// <summary>
/// What a group commit (the webhook receiver's batch) leans on: rows held back to its end (<see cref="WriteBehind"/>)
/// and payments read ahead (<see cref="PaymentStore.ReadAheadAsync"/>) read within the transaction exactly as if
/// written and looked up one by one.
/// </summary>
public abstract class GroupCommitStorageTests(TollgateServer server)
{
    [Fact]
    public async Task Rows_held_back_are_written_at_the_flush_and_not_at_all_without_it()
    {
        var database = server.Get<Database>();
        var customer = (await server.Admin.PostAsync("/api/v1/customers", new { name = "Held back" })).Id;
        var now = server.Clock.GetUtcNow();
        var ids = Enumerable.Range(0, 3).Select(_ => Ids.New(Outbox.MessagePrefix, server.Clock)).ToList();

        await database.InTransactionAsync(async (connection, tx) =>
        {
            using var later = WriteBehind.Begin(tx);
            foreach (var id in ids) await Outbox.WriteAsync(tx, id, "test.held", customer, new { id }, now);
            await server.Get<Audit.AuditLog>().RecordAsync(tx, new Actor("test", "held", null), "test.held", "customer", customer, null, new { customer }, customer);
            (await CountAsync(connection, tx, customer)).ShouldBe((0, 0)); // nothing yet
            await later.FlushAsync(CancellationToken.None);
            (await CountAsync(connection, tx, customer)).ShouldBe((3, 1));
            return 0;
        });
        await using (var connection = await database.OpenAsync())
        {
            (await connection.QueryAsync<string>("SELECT id FROM outbox WHERE customer_id = @customer AND type = 'test.held'", new { customer })).ShouldBe(ids, ignoreOrder: true);
        }

        await database.InTransactionAsync(async (connection, tx) =>
        {
            using (WriteBehind.Begin(tx)) await Outbox.WriteAsync(tx, Ids.New(Outbox.MessagePrefix, server.Clock), "test.dropped", customer, new { }, now);
            // Once the scope is gone, a row is written as it is recorded.
            await Outbox.WriteAsync(tx, Ids.New(Outbox.MessagePrefix, server.Clock), "test.direct", customer, new { }, now);
            (await connection.QueryAsync<string>("SELECT type FROM outbox WHERE customer_id = @customer AND type IN ('test.dropped', 'test.direct')", new { customer }, tx)).ShouldBe(["test.direct"]);
            return 0;
        });
    }

    [Fact]
    public async Task Payments_read_ahead_answer_as_the_transaction_wrote_them_and_stay_locked_by_it()
    {
        var database = server.Get<Database>();
        var store = server.Get<PaymentStore>();
        var customer = (await server.Admin.PostAsync("/api/v1/customers", new { name = "Read ahead" })).Id;
        var now = server.Clock.GetUtcNow();
        Payment Made(string providerId) => new()
        {
            Id = Ids.New(PaymentStore.PaymentPrefix, server.Clock), CustomerId = customer, Provider = "razorpay", ProviderPaymentId = providerId, Amount = 1_000,
            Currency = "INR", Status = PaymentStatus.Pending, ProviderTime = now, CreatedAt = now, UpdatedAt = now,
        };
        var (there, absent) = ("pay_there_" + customer, "pay_absent_" + customer);
        await database.InTransactionAsync(async (_, tx) =>
        {
            await PaymentStore.InsertAsync(tx, Made(there));
            return 0;
        });

        await database.InTransactionAsync(async (_, tx) =>
        {
            using var ahead = await store.ReadAheadAsync(tx, [("razorpay", there), ("razorpay", absent)]);
            var found = (await store.FindPaymentAsync(tx, "razorpay", there)).ShouldNotBeNull();
            (await store.FindPaymentAsync(tx, "razorpay", absent)).ShouldBeNull();
            if (database.Kind == DatabaseKind.Postgres) (await LockedElsewhereAsync(database, found.Id)).ShouldBeTrue();

            await PaymentStore.UpdateAsync(tx, found with { Status = PaymentStatus.Succeeded });
            await PaymentStore.InsertAsync(tx, Made(absent));
            (await store.FindPaymentAsync(tx, "razorpay", there)).ShouldNotBeNull().Status.ShouldBe(PaymentStatus.Succeeded);
            (await store.FindPaymentAsync(tx, "razorpay", absent)).ShouldNotBeNull().CustomerId.ShouldBe(customer);
            return 0;
        });

        await using var connection = await database.OpenAsync();
        (await connection.QueryAsync<string>("SELECT status FROM payments WHERE customer_id = @customer ORDER BY provider_payment_id", new { customer }))
            .ShouldBe(["pending", "succeeded"]); // pay_absent_…, pay_there_…
    }

    static async Task<(long Outbox, long Audit)> CountAsync(System.Data.Common.DbConnection connection, System.Data.Common.DbTransaction tx, string customer) =>
        (await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM outbox WHERE customer_id = @customer AND type = 'test.held'", new { customer }, tx),
         await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM audit_log WHERE customer_id = @customer AND action = 'test.held'", new { customer }, tx));

    /// <summary>Whether another connection finds the payment's row locked.</summary>
    static async Task<bool> LockedElsewhereAsync(Database database, string paymentId)
    {
        await using var other = await database.OpenAsync();
        try
        {
            await other.ExecuteAsync("BEGIN; SELECT id FROM payments WHERE id = @paymentId FOR UPDATE NOWAIT; ROLLBACK", new { paymentId });
            return false;
        }
        catch (Npgsql.PostgresException e) when (e.SqlState == "55P03")
        {
            return true;
        }
    }
}

[Collection(SqliteCollection.Name)]
public sealed class GroupCommitStorageOnSqlite(SqliteServer server) : GroupCommitStorageTests(server);

[Collection(PostgresCollection.Name)]
public sealed class GroupCommitStorageOnPostgres(PostgresServer server) : GroupCommitStorageTests(server);
