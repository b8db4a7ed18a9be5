using Tollgate.Common;

namespace Tollgate.Operations;

/// <summary>
/// Refuses a NUL character (U+0000) in any query or route value before a handler sees it: no database stores it, and
/// PostgreSQL refuses a query that carries one. One check for every route, in the route's own error format.
/// </summary>
public sealed class ParameterText(RequestDelegate next)
{
    public Task InvokeAsync(HttpContext context)
    {
        foreach (var (name, values) in context.Request.Query)
        {
            if (name.Contains('\0') || values.Any(v => v is not null && v.Contains('\0'))) return RefuseAsync(context, name);
        }

        foreach (var (name, value) in context.Request.RouteValues)
        {
            if (value is string text && text.Contains('\0')) return RefuseAsync(context, name);
        }

        return next(context);
    }

    static Task RefuseAsync(HttpContext context, string name)
    {
        var error = new ApiError("invalid_parameter", StatusCodes.Status400BadRequest, $"'{name.Replace("\0", "\\0", StringComparison.Ordinal)}' cannot contain NUL (U+0000).",
            new Dictionary<string, string[]> { [name] = ["cannot contain NUL (U+0000)."] });
        context.Response.StatusCode = error.Status;
        return ErrorHandling.WriteAsync(context, error);
    }
}
