using System.Security.Cryptography;
using System.Text;
using Tollgate.ApiKeys;
using Tollgate.Common;
using Tollgate.Storage;

namespace Tollgate.Idempotency;

/// <summary>
/// Honours <c>Idempotency-Key</c> on every POST: the first request runs, a retry with the same key and body gets
/// the stored answer (marked <c>Idempotent-Replayed: true</c>), the same key with another body is refused.
/// A server error from a request that committed nothing is not stored, so a retry runs again; a request that committed
/// is never run twice (see <see cref="IdempotencyStore"/>).
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
                await Refuse(context, InProgress);
                return;
            case ClaimOutcome.AppliedWithoutAnswer:
                await Refuse(context, ApiError.Conflict("idempotency_key_applied",
                    "The request with this Idempotency-Key was applied, but its answer was not kept (its server stopped); read the result instead of retrying."));
                return;
            case ClaimOutcome.Replay:
                context.Response.StatusCode = claim.Status;
                context.Response.Headers["Idempotent-Replayed"] = "true";
                if (claim.ContentType is not null) context.Response.ContentType = claim.ContentType;
                await context.Response.WriteAsync(claim.Body ?? "", ct);
                return;
        }

        var token = claim.Token!;
        var original = context.Response.Body;
        using var buffer = new MemoryStream();
        context.Response.Body = buffer;
        try
        {
            using (CommitGuard.Install((tx, _) => IdempotencyStore.MarkAppliedAsync(tx, scope, key, token)))
            {
                await next(context);
            }
        }
        catch (IdempotencyClaimLostException)
        {
            // A retry took the claim over while this request ran, and its outcome stands; this one committed nothing.
            context.Response.Body = original;
            context.Response.Clear();
            await Refuse(context, InProgress);
            return;
        }
        catch
        {
            await store.ReleaseAsync(scope, key, token, CancellationToken.None);
            throw;
        }
        finally
        {
            context.Response.Body = original;
        }

        var body = Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
        await store.FinishAsync(scope, key, token, context.Response.StatusCode, context.Response.ContentType, body, CancellationToken.None);

        buffer.Position = 0;
        await buffer.CopyToAsync(original, ct);
    }

    static ApiError InProgress => ApiError.Conflict("idempotency_in_progress",
        "A request with this Idempotency-Key is still running; retry when it has finished.");

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
