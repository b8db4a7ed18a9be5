using Tollgate.Common;

namespace Tollgate.Operations;

/// <summary>
/// Gives every request one id, <c>req_…</c>, sent back as <c>x-request-id</c> on every route before anything else
/// runs: the gateway keys its usage record by it, the audit log records it, and a 500 names it.
/// </summary>
public sealed class RequestIds(RequestDelegate next, TimeProvider time)
{
    public const string Header = "x-request-id";

    public Task InvokeAsync(HttpContext context)
    {
        var id = Ids.New("req", time);
        context.TraceIdentifier = id;
        // Set as the headers go out: an error handler clears the response's headers before it writes its answer.
        context.Response.OnStarting(static state =>
        {
            var http = (HttpContext)state;
            http.Response.Headers[Header] = http.TraceIdentifier;
            return Task.CompletedTask;
        }, context);
        return next(context);
    }
}
