using Tollgate.Common;

namespace Tollgate.ApiKeys;

/// <summary>Endpoint filters that say who may reach an endpoint; handlers then only see allowed callers.</summary>
public static class Permissions
{
    /// <summary>Admin keys only: reading needs <c>admin</c> or <c>admin:read</c>, changing needs <c>admin</c>.</summary>
    public static TBuilder RequireAdmin<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter(async (context, next) =>
        {
            var caller = context.HttpContext.Features.Get<Caller>();
            var error = AdminError(caller, IsRead(context.HttpContext.Request.Method));
            return error is null ? await next(context) : error.ToProblem();
        });

    /// <summary>
    /// Routes under <c>/customers/{customerId}</c>: admin keys, or that customer's own keys holding <paramref name="scope"/>.
    /// Another customer's records answer 404, as if they did not exist.
    /// </summary>
    public static TBuilder RequireCustomerAccess<TBuilder>(this TBuilder builder, string scope) where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            var caller = http.Features.Get<Caller>();
            var customerId = http.GetRouteValue("customerId") as string;
            ApiError? error;
            if (caller is { IsAdmin: true }) error = AdminError(caller, IsRead(http.Request.Method));
            else if (caller is null || caller.Key.CustomerId != customerId) error = ApiError.NotFound("customer", customerId ?? "");
            else if (!caller.Key.HasScope(scope)) error = ApiError.Forbidden($"This needs a key with the '{scope}' scope.");
            else error = null;
            return error is null ? await next(context) : error.ToProblem();
        });

    /// <summary>Routes both kinds of key use: admin keys (read or write as the method needs), or customer keys holding <paramref name="scope"/>, acting for their own customer.</summary>
    public static TBuilder RequireScope<TBuilder>(this TBuilder builder, string scope) where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            var caller = http.Features.Get<Caller>();
            ApiError? error;
            if (caller is { IsAdmin: true }) error = AdminError(caller, IsRead(http.Request.Method));
            else if (caller is null) error = ApiError.Forbidden("This endpoint needs an API key.");
            else if (!caller.Key.HasScope(scope)) error = ApiError.Forbidden($"This needs a key with the '{scope}' scope.");
            else error = null;
            return error is null ? await next(context) : error.ToProblem();
        });

    static ApiError? AdminError(Caller? caller, bool read)
    {
        if (caller is not { IsAdmin: true }) return ApiError.Forbidden("This endpoint needs an admin key.");
        if (read ? caller.CanReadAdmin : caller.CanWriteAdmin) return null;
        return ApiError.Forbidden("This admin key may only read; changes need the 'admin' scope.");
    }

    static bool IsRead(string method) => HttpMethods.IsGet(method) || HttpMethods.IsHead(method);
}
