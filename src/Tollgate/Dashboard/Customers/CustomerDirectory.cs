using System.Text;
using Dapper;
using Tollgate.Storage;

namespace Tollgate.Dashboard.Customers;

/// <summary>What the customers page asks for: a search, filters, an order and a page.</summary>
public sealed record CustomerQuery(string? Search, string? Plan, string? Status, string? Country, string? Provider, string Sort, int Page)
{
    public const int PageSize = 50;

    public static readonly IReadOnlyList<string> Statuses = ["paying", "trialing", "past_due", "canceled", "none"];
    public static readonly IReadOnlyList<string> Sorts = ["newest", "oldest", "name"];

    /// <summary>The query as its page's address would carry it, with another page.</summary>
    public string ToQueryString(int page)
    {
        var parts = new List<string>();
        void Add(string name, string? value)
        {
            if (!string.IsNullOrEmpty(value)) parts.Add($"{name}={Uri.EscapeDataString(value)}");
        }

        Add("q", Search);
        Add("plan", Plan);
        Add("status", Status);
        Add("country", Country);
        Add("provider", Provider);
        if (Sort != "newest") Add("sort", Sort);
        if (page > 1) Add("page", page.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return parts.Count == 0 ? "" : "?" + string.Join('&', parts);
    }
}

/// <summary>One customer in the list: who, where, on what, in what state, paying through whom.</summary>
public sealed class CustomerListing
{
    public string Id { get; init; } = "";
    public string Name { get; init; } = "";
    public string? Email { get; init; }
    public string? Country { get; init; }
    public string? PlanCode { get; init; }
    public string Status { get; init; } = "none";
    public string? Provider { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
}

/// <summary>A page of customers, and whether there is a next one.</summary>
public sealed record CustomerListPage(IReadOnlyList<CustomerListing> Customers, bool HasMore, IReadOnlyList<string> Plans, IReadOnlyList<string> Providers);

/// <summary>
/// The customers page's query: a search by id, external id, email or name, filters by plan, status (from the
/// customer's subscriptions: paying, trialing, past due, canceled or none), country and payment provider, an order,
/// and pages of <see cref="CustomerQuery.PageSize"/>.
/// </summary>
public sealed class CustomerDirectory(Database database)
{
    // A customer's status is its liveliest subscription's: paying before past due before trialing before canceled.
    const string StatusSql = """
        COALESCE((SELECT CASE s.status WHEN 'active' THEN 'paying' WHEN 'past_due' THEN 'past_due' WHEN 'trialing' THEN 'trialing' ELSE 'canceled' END
                  FROM subscriptions s WHERE s.customer_id = c.id
                  ORDER BY CASE s.status WHEN 'active' THEN 0 WHEN 'past_due' THEN 1 WHEN 'trialing' THEN 2 ELSE 3 END, s.created_at DESC LIMIT 1), 'none')
        """;

    public async Task<CustomerListPage> ListAsync(CustomerQuery query, CancellationToken ct)
    {
        var where = new StringBuilder("c.deleted_at IS NULL");
        var search = query.Search?.Trim();
        if (!string.IsNullOrEmpty(search))
            where.Append(" AND (c.id = @search OR c.external_id = @search OR LOWER(c.email) LIKE @prefix ESCAPE '\\' OR LOWER(c.name) LIKE @anywhere ESCAPE '\\')");
        if (!string.IsNullOrEmpty(query.Plan)) where.Append(" AND c.plan_code = @Plan");
        if (!string.IsNullOrEmpty(query.Country)) where.Append(" AND c.country = @Country");
        if (!string.IsNullOrEmpty(query.Provider)) where.Append(" AND a.provider = @Provider");
        if (!string.IsNullOrEmpty(query.Status)) where.Append($" AND {StatusSql} = @Status");
        var order = query.Sort switch { "oldest" => "c.created_at, c.id", "name" => "c.name, c.id", _ => "c.created_at DESC, c.id DESC" };
        var escaped = search?.ToLowerInvariant().Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal);
        var parameters = new
        {
            search, prefix = escaped + "%", anywhere = "%" + escaped + "%", query.Plan, Country = query.Country?.ToUpperInvariant(), query.Provider, query.Status,
            take = CustomerQuery.PageSize + 1, skip = (query.Page - 1) * CustomerQuery.PageSize,
        };

        await using var connection = await database.OpenAsync(ct);
        var rows = (await connection.QueryAsync<CustomerListing>(
            $"""
            SELECT c.id, c.name, c.email, c.country, c.plan_code, {StatusSql} AS status, a.provider, c.created_at
            FROM customers c LEFT JOIN payment_accounts a ON a.customer_id = c.id
            WHERE {where}
            ORDER BY {order} LIMIT @take OFFSET @skip
            """, parameters)).ToList();
        var plans = (await connection.QueryAsync<string>("SELECT code FROM plans ORDER BY code")).ToList();
        var providers = (await connection.QueryAsync<string>("SELECT DISTINCT provider FROM payment_accounts ORDER BY provider")).ToList();
        return new CustomerListPage([.. rows.Take(CustomerQuery.PageSize)], rows.Count > CustomerQuery.PageSize, plans, providers);
    }
}
