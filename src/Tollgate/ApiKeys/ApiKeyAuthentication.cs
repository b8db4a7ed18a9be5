using Microsoft.Extensions.Primitives;
using Tollgate.Common;

namespace Tollgate.ApiKeys;

/// <summary>
/// Every request under <c>/api</c> must carry a key, as <c>Authorization: Bearer …</c> or <c>x-api-key</c>.
/// A valid one becomes the request's <see cref="Caller"/>; anything else is answered here with a 401.
/// </summary>
public sealed class ApiKeyAuthentication(RequestDelegate next, ApiKeyVerifier verifier, KeyUsageRecorder usage)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var secret = PresentedSecret(context.Request.Headers);
        var verification = await verifier.VerifyAsync(secret, context.RequestAborted);
        if (verification.Verdict != KeyVerdict.Valid)
        {
            context.Response.Headers.WWWAuthenticate = "Bearer";
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            await ProblemResults.WriteAsync(context, Describe(verification.Verdict));
            return;
        }

        usage.Used(verification.Key!.Id);
        context.Features.Set(new Caller(verification.Key, context.TraceIdentifier));
        await next(context);
    }

    public static string? PresentedSecret(IHeaderDictionary headers)
    {
        var authorization = headers.Authorization;
        if (!StringValues.IsNullOrEmpty(authorization))
        {
            var value = authorization.ToString();
            return value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? value[7..].Trim() : value.Trim();
        }

        var apiKey = headers["x-api-key"];
        return StringValues.IsNullOrEmpty(apiKey) ? null : apiKey.ToString().Trim();
    }

    public static ApiError Describe(KeyVerdict verdict) => verdict switch
    {
        KeyVerdict.Missing => ApiError.Unauthorized("missing_api_key", "Send an API key as 'Authorization: Bearer tg_…' or 'x-api-key'."),
        KeyVerdict.Malformed => ApiError.Unauthorized("malformed_api_key", "That is not a Tollgate API key: keys start with tg_live_, tg_test_ or tg_admin_."),
        KeyVerdict.Expired => ApiError.Unauthorized("api_key_expired", "This API key has expired."),
        KeyVerdict.Revoked => ApiError.Unauthorized("api_key_revoked", "This API key has been revoked."),
        _ => ApiError.Unauthorized("invalid_api_key", "This API key is not valid."),
    };
}
