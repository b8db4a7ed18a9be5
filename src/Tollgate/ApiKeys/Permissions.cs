using Tollgate.Common;

namespace Tollgate.ApiKeys;

/// <summary>Who may reach an endpoint, as its metadata says.</summary>
public enum Access
{
    /// <summary>Admin keys only: reading needs <c>admin</c> or <c>admin:read</c>, changing needs <c>admin</c>.</summary>
    Admin,

    /// <summary>Routes under <c>/customers/{customerId}</c>: admin keys, or that customer's own keys holding a scope.</summary>
    OwnCustomer,

    /// <summary>Admin keys (read or write as the method needs), or customer keys holding one of the scopes.</summary>
    Scope,

    /// <summary>Any valid key: the handler's own policy decides per record (a key may rotate itself, say).</summary>
    AnyKey,
}

/// <summary>
/// The permission an endpoint declares. Every <c>/api</c> endpoint has exactly one; a test walks them all.
/// <paramref name="ReadsOnly"/> marks a POST that changes nothing (a quote), which read-only admin keys may call.
/// </summary>
public sealed record RequiredPermission(Access Access, IReadOnlyList<string> Scopes, bool ReadsOnly = false)
{
    /// <summary>Null when <paramref name="caller"/> may go on; otherwise the refusal.</summary>
    public ApiError? Check(Caller? caller, HttpContext http)
    {
        if (caller is null) return ApiError.Forbidden("This endpoint needs an API key.");
        var read = ReadsOnly || HttpMethods.IsGet(http.Request.Method) || HttpMethods.IsHead(http.Request.Method);
        if (caller.IsAdmin) return AdminError(caller, read);
        switch (Access)
        {
            case Access.Admin:
                return ApiError.Forbidden("This endpoint needs an admin key.");
            case Access.OwnCustomer:
                var customerId = http.GetRouteValue("customerId") as string;
                if (caller.Key.CustomerId != customerId) return ApiError.NotFound("customer", customerId ?? "");
                break;
            case Access.AnyKey:
                return null;
        }

        return Scopes.Any(caller.Key.HasScope) ? null : ApiError.Forbidden($"This needs a key with the '{string.Join("' or '", Scopes)}' scope.");
    }

    static ApiError? AdminError(Caller caller, bool read) =>
        (read ? caller.CanReadAdmin : caller.CanWriteAdmin) ? null
        : ApiError.Forbidden("This admin key may only read; changes need the 'admin' scope.");
}

/// <summary>
/// How endpoints declare their permission: one call each (or on their group). <see cref="PermissionEnforcement"/>
/// applies it before the request body is read or bound, so a key that may not call an endpoint gets 403 whatever it sent.
/// </summary>
public static class Permissions
{
    public static TBuilder RequireAdmin<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new RequiredPermission(Access.Admin, []));

    /// <summary>Admin keys, read-only ones included: for a POST that computes an answer and stores nothing.</summary>
    public static TBuilder RequireAdminRead<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new RequiredPermission(Access.Admin, [], ReadsOnly: true));

    /// <summary>Another customer's records answer 404, as if they did not exist.</summary>
    public static TBuilder RequireCustomerAccess<TBuilder>(this TBuilder builder, string scope) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new RequiredPermission(Access.OwnCustomer, [scope]));

    /// <summary>Admin keys, or customer keys holding any of <paramref name="scopes"/>, acting for their own customer.</summary>
    public static TBuilder RequireScope<TBuilder>(this TBuilder builder, params string[] scopes) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new RequiredPermission(Access.Scope, scopes));

    /// <summary>Any valid key; the endpoint's policy decides per record (writes by admin keys still need <c>admin</c>).</summary>
    public static TBuilder RequireAnyKey<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new RequiredPermission(Access.AnyKey, []));
}

/// <summary>
/// Applies the endpoint's <see cref="RequiredPermission"/> right after the key is verified, before idempotency and
/// before anything reads the body. An endpoint under <c>/api</c> that declares none is refused: closed by default.
/// </summary>
public sealed class PermissionEnforcement(RequestDelegate next)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var endpoint = context.GetEndpoint();
        if (endpoint is null)
        {
            await next(context); // no route: the 404 follows
            return;
        }

        var permission = endpoint.Metadata.GetMetadata<RequiredPermission>();
        var error = permission is null
            ? ApiError.Forbidden("This endpoint declares no permission, so no key may call it.")
            : permission.Check(context.Features.Get<Caller>(), context);
        if (error is null)
        {
            await next(context);
            return;
        }

        context.Response.StatusCode = error.Status;
        await ProblemResults.WriteAsync(context, error);
    }
}
