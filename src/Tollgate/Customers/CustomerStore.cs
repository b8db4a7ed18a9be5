using System.Data.Common;
using Dapper;
using Tollgate.Audit;
using Tollgate.Common;
using Tollgate.Storage;

namespace Tollgate.Customers;

public sealed class CustomerStore(Database database, AuditLog audit, ChangeFeed changes, TimeProvider time)
{
    public async Task<Result<Customer>> CreateAsync(CreateCustomerRequest request, Actor actor, CancellationToken ct)
    {
        var customer = CustomerRules.ForCreate(request, Ids.New(Ids.Customer, time), time.Now());
        if (!customer.IsOk) return customer;
        try
        {
            return await database.InTransactionAsync(async (connection, tx) =>
            {
                if (await ExternalIdTakenAsync(tx, customer.Value.ExternalId, null)) return ExternalIdTaken(customer.Value.ExternalId!);
                if (await UnknownPlanAsync(tx, customer.Value.Plan)) return UnknownPlan(customer.Value.Plan!);
                if (customer.Value.TestClockId is { } clock)
                {
                    // A customer on a test clock is created at the clock's time, as Stripe's are: its signup is in the clock's history.
                    var frozen = await connection.QuerySingleOrDefaultAsync<DateTimeOffset?>("SELECT frozen_time FROM test_clocks WHERE id = @clock", new { clock }, tx);
                    if (frozen is null) return ApiError.Invalid("test_clock_id", $"There is no test clock '{clock}'.");
                    customer = customer.Value with { CreatedAt = frozen.Value, UpdatedAt = frozen.Value };
                }

                await connection.ExecuteAsync(
                    """
                    INSERT INTO customers (id, external_id, name, email, country, region, tax_id, tax_exempt, currency, metadata, plan_code, test_clock_id, created_at, updated_at)
                    VALUES (@Id, @ExternalId, @Name, @Email, @Country, @Region, @TaxId, @TaxExempt, @Currency, @Metadata, @PlanCode, @TestClockId, @CreatedAt, @UpdatedAt)
                    """,
                    Row.From(customer.Value), tx);
                await audit.RecordAsync(tx, actor, "customer.created", "customer", customer.Value.Id, null, customer.Value, customer.Value.Id);
                await Outbox.WriteAsync(tx, Ids.New(Outbox.MessagePrefix, time), "customer.created", customer.Value.Id, customer.Value, customer.Value.CreatedAt);
                return customer;
            }, ct);
        }
        catch (DbException e) when (DbErrors.IsUniqueViolation(e))
        {
            return ExternalIdTaken(customer.Value.ExternalId!);
        }
    }

    public async Task<Result<Customer>> UpdateAsync(string id, UpdateCustomerRequest request, Actor actor, CancellationToken ct)
    {
        try
        {
            var result = await database.InTransactionAsync(async (connection, tx) =>
            {
                var current = await FindAsync(tx, id);
                if (current is null) return ApiError.NotFound("customer", id);
                var updated = CustomerRules.ForUpdate(current, request, time.Now());
                if (!updated.IsOk) return updated;
                if (await ExternalIdTakenAsync(tx, updated.Value.ExternalId, id)) return ExternalIdTaken(updated.Value.ExternalId!);
                if (updated.Value.Plan != current.Plan && await UnknownPlanAsync(tx, updated.Value.Plan)) return UnknownPlan(updated.Value.Plan!);
                if (updated.Value.Plan != current.Plan)
                {
                    var subscribed = await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM subscriptions WHERE customer_id = @id AND status <> 'canceled'", new { id }, tx);
                    if (subscribed > 0)
                    {
                        return ApiError.Conflict("plan_from_subscriptions", $"Customer {id}'s plan follows its subscriptions: change the subscription instead.");
                    }

                    await CustomerPlans.RecordAsync(tx, id, updated.Value.Plan, null, updated.Value.UpdatedAt);
                }
                await connection.ExecuteAsync(
                    """
                    UPDATE customers SET external_id = @ExternalId, name = @Name, email = @Email, country = @Country,
                                         region = @Region, tax_id = @TaxId, tax_exempt = @TaxExempt,
                                         currency = @Currency, metadata = @Metadata,
                                         plan_version = CASE WHEN plan_code = @PlanCode THEN plan_version END, plan_code = @PlanCode,
                                         updated_at = @UpdatedAt
                    WHERE id = @Id
                    """,
                    Row.From(updated.Value), tx);
                await audit.RecordAsync(tx, actor, "customer.updated", "customer", id, current, updated.Value, id);
                await Outbox.WriteAsync(tx, Ids.New(Outbox.MessagePrefix, time), "customer.updated", id, updated.Value, updated.Value.UpdatedAt);
                changes.Publish(ChangeKind.Customer, id); // sent with the commit (TransactionChanges)
                return updated;
            }, ct);
            return result;
        }
        catch (DbException e) when (DbErrors.IsUniqueViolation(e))
        {
            return ExternalIdTaken(request.ExternalId!);
        }
    }

    /// <summary>Archives the customer and revokes its keys in the same transaction.</summary>
    public async Task<Result<Customer>> DeleteAsync(string id, Actor actor, CancellationToken ct)
    {
        var now = time.Now();
        var result = await database.InTransactionAsync(async (connection, tx) =>
        {
            var current = await FindAsync(tx, id);
            if (current is null) return (Result<(Customer, List<string>)>)ApiError.NotFound("customer", id);
            await connection.ExecuteAsync("UPDATE customers SET deleted_at = @now, updated_at = @now WHERE id = @id", new { id, now }, tx);
            var revoked = (await connection.QueryAsync<string>(
                "SELECT id FROM api_keys WHERE customer_id = @id AND revoked_at IS NULL", new { id }, tx)).ToList();
            await connection.ExecuteAsync("UPDATE api_keys SET revoked_at = @now WHERE customer_id = @id AND revoked_at IS NULL", new { id, now }, tx);
            await audit.RecordAsync(tx, actor, "customer.deleted", "customer", id, current, null, id);
            await Outbox.WriteAsync(tx, Ids.New(Outbox.MessagePrefix, time), "customer.deleted", id, new CustomerDeleted(id, now, revoked), now);
            foreach (var keyId in revoked) changes.Publish(ChangeKind.Key, keyId); // sent with the commit (TransactionChanges)
            changes.Publish(ChangeKind.Customer, id);
            return (current, revoked);
        }, ct);
        if (!result.IsOk) return result.Error;
        return result.Value.Item1;
    }

    public async Task<Customer?> GetAsync(string id, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        var row = await connection.QuerySingleOrDefaultAsync<Row>("SELECT * FROM customers WHERE id = @id AND deleted_at IS NULL", new { id });
        return row?.ToCustomer();
    }

    public async Task<Page<Customer>> ListAsync(string? externalId, string? email, PageRequest page, CancellationToken ct)
    {
        await using var connection = await database.OpenAsync(ct);
        var rows = (await connection.QueryAsync<Row>(
            """
            SELECT * FROM customers
            WHERE deleted_at IS NULL
              AND (@Cursor IS NULL OR id < @Cursor)
              AND (@ExternalId IS NULL OR external_id = @ExternalId)
              AND (@Email IS NULL OR email = @Email)
            ORDER BY id DESC
            LIMIT @Take
            """,
            new { page.Cursor, ExternalId = externalId, Email = email?.ToLowerInvariant(), Take = page.Size + 1 }))
            .Select(r => r.ToCustomer()).ToList();
        return Page<Customer>.From(rows, page.Size, c => c.Id);
    }

    async Task<Customer?> FindAsync(DbTransaction tx, string id) =>
        (await tx.Connection!.QuerySingleOrDefaultAsync<Row>(
            $"SELECT * FROM customers WHERE id = @id AND deleted_at IS NULL{database.ForUpdate}", new { id }, tx))?.ToCustomer();

    /// <summary>Whether a live (not deleted) customer has this id; shared by the stores of records that belong to one.</summary>
    internal static async Task<bool> ExistsInAsync(DbTransaction tx, string customerId) =>
        await tx.Connection!.ExecuteScalarAsync<long>(
            "SELECT COUNT(*) FROM customers WHERE id = @customerId AND deleted_at IS NULL", new { customerId }, tx) > 0;

    static async Task<bool> ExternalIdTakenAsync(DbTransaction tx, string? externalId, string? exceptId) =>
        externalId is not null && await tx.Connection!.ExecuteScalarAsync<long>(
            "SELECT COUNT(*) FROM customers WHERE external_id = @externalId AND (@exceptId IS NULL OR id <> @exceptId)",
            new { externalId, exceptId }, tx) > 0;

    static async Task<bool> UnknownPlanAsync(DbTransaction tx, string? plan) =>
        plan is not null && await tx.Connection!.ExecuteScalarAsync<long>(
            "SELECT COUNT(*) FROM plans WHERE code = @plan AND archived_at IS NULL", new { plan }, tx) == 0;

    static ApiError UnknownPlan(string plan) => ApiError.Invalid("plan", $"There is no active plan '{plan}'.");

    static ApiError ExternalIdTaken(string externalId) =>
        ApiError.Conflict("external_id_taken", $"Another customer already has external_id '{externalId}'.");

    sealed record Row
    {
        public string Id { get; init; } = "";
        public string? ExternalId { get; init; }
        public string Name { get; init; } = "";
        public string? Email { get; init; }
        public string? Country { get; init; }
        public string? Region { get; init; }
        public string? TaxId { get; init; }
        public bool TaxExempt { get; init; }
        public string Currency { get; init; } = "";
        public string Metadata { get; init; } = "{}";
        public string? PlanCode { get; init; }
        public string? TestClockId { get; init; }
        public DateTimeOffset CreatedAt { get; init; }
        public DateTimeOffset UpdatedAt { get; init; }

        public static Row From(Customer c) => new()
        {
            Id = c.Id,
            ExternalId = c.ExternalId,
            Name = c.Name,
            Email = c.Email,
            Country = c.Country,
            Region = c.Region,
            TaxId = c.TaxId,
            TaxExempt = c.TaxExempt,
            Currency = c.Currency,
            Metadata = ApiJson.Serialize(c.Metadata),
            PlanCode = c.Plan,
            TestClockId = c.TestClockId,
            CreatedAt = c.CreatedAt,
            UpdatedAt = c.UpdatedAt,
        };

        public Customer ToCustomer() => new()
        {
            Id = Id,
            ExternalId = ExternalId,
            Name = Name,
            Email = Email,
            Country = Country,
            Region = Region,
            TaxId = TaxId,
            TaxExempt = TaxExempt,
            Currency = Currency,
            Metadata = ApiJson.Deserialize<Dictionary<string, string>>(Metadata) ?? [],
            Plan = PlanCode,
            TestClockId = TestClockId,
            CreatedAt = CreatedAt,
            UpdatedAt = UpdatedAt,
        };
    }
}
