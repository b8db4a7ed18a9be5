using System.Security.Cryptography;
using System.Text;
using Tollgate.ApiKeys;
using Tollgate.Common;

namespace Tollgate.Idempotency;

/// <summary>
/// Honours <c>Idempotency-Key</c> on every POST: the first request runs, a retry with the same key and body gets
/// the stored answer (marked <c>Idempotent-Replayed: true</c>), the same key with another body is refused.
/// Answers of 5xx are not stored, so a retry after a server failure runs again.
/// </summary>
public sealed class IdempotencyMiddleware(RequestDelegate next, IdempotencyStore store)
{
    public const string Header = "Idempotency-Key";

    public async Task InvokeAsync(HttpContext context)
    {
        var key = context.Request.Headers[Header].ToString();
        var caller = context.Features.Get<Caller>();
        if (!HttpMethods.IsPost(context.Request.Method) || key.Length == 0 || caller is null)
        {
            await next(context);
            return;
        }

        if (key.Length > 255)
        {
            await Refuse(context, new ApiError("invalid_idempotency_key", 400, "The Idempotency-Key header may be at most 255 characters."));
            return;
        }

        var ct = context.RequestAborted;
        var scope = caller.Key.Id;
        var claim = await store.ClaimAsync(scope, key, await HashAsync(context.Request, ct), ct);
        switch (claim.Outcome)
        {
            case ClaimOutcome.Mismatch:
                await Refuse(context, new ApiError("idempotency_key_reused", StatusCodes.Status422UnprocessableEntity,
                    "This Idempotency-Key was used with a different request; use a new key for a new request."));
                return;
            case ClaimOutcome.InProgress:
                await Refuse(context, ApiError.Conflict("idempotency_in_progress",
                    "A request with this Idempotency-Key is still running; retry when it has finished."));
                return;
            case ClaimOutcome.Replay:
                context.Response.StatusCode = claim.Status;
                context.Response.Headers["Idempotent-Replayed"] = "true";
                if (claim.ContentType is not null) context.Response.ContentType = claim.ContentType;
                await context.Response.WriteAsync(claim.Body ?? "", ct);
                return;
        }

        var original = context.Response.Body;
        using var buffer = new MemoryStream();
        context.Response.Body = buffer;
        try
        {
            await next(context);
        }
        catch
        {
            await store.ReleaseAsync(scope, key, CancellationToken.None);
            throw;
        }
        finally
        {
            context.Response.Body = original;
        }

        var body = Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
        if (context.Response.StatusCode >= 500) await store.ReleaseAsync(scope, key, CancellationToken.None);
        else await store.CompleteAsync(scope, key, context.Response.StatusCode, context.Response.ContentType, body, CancellationToken.None);

        buffer.Position = 0;
        await buffer.CopyToAsync(original, ct);
    }

    static async Task<string> HashAsync(HttpRequest request, CancellationToken ct)
    {
        request.EnableBuffering();
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes($"{request.Method} {request.Path}{request.QueryString}\n"));
        var chunk = new byte[8192];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, ct)) > 0) hash.AppendData(chunk, 0, read);
        request.Body.Position = 0;
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }

    static Task Refuse(HttpContext context, ApiError error)
    {
        context.Response.StatusCode = error.Status;
        return ProblemResults.WriteAsync(context, error);
    }
}
