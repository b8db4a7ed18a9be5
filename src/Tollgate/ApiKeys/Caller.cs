using System.Reflection;
using Tollgate.Common;

namespace Tollgate.ApiKeys;

/// <summary>The verified key behind a request. Handlers take it as a parameter.</summary>
public sealed record Caller(ApiKeyEntry Key, string RequestId)
{
    public bool IsAdmin => Key.Kind == KeyKind.Admin;

    public bool CanWriteAdmin => IsAdmin && Key.HasScope(Scopes.Admin);

    public bool CanReadAdmin => IsAdmin && (Key.HasScope(Scopes.Admin) || Key.HasScope(Scopes.AdminRead));

    public Actor Actor => new("api_key", Key.Id, RequestId);

    /// <summary>
    /// The customer a read acts for: admin keys the one they name, or all (null); customer keys their own, and naming
    /// another customer answers as if it did not exist.
    /// </summary>
    public Result<string?> ReadsFor(string? customerId)
    {
        if (IsAdmin) return customerId;
        if (customerId is not null && customerId != Key.CustomerId) return ApiError.NotFound("customer", customerId);
        return Key.CustomerId;
    }

    /// <summary>Whether this caller may see records of <paramref name="customerId"/> at all.</summary>
    public bool Sees(string? customerId) => IsAdmin ? CanReadAdmin : customerId is not null && Key.CustomerId == customerId;

    public static ValueTask<Caller?> BindAsync(HttpContext context, ParameterInfo parameter) =>
        ValueTask.FromResult(context.Features.Get<Caller>());
}
