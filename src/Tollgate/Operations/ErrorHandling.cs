using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Tollgate.Common;

namespace Tollgate.Operations;

/// <summary>
/// Turns what escapes a handler into problem+json: a client's malformed request into a 4xx with the field
/// that broke, and a bug into a 500 that names the request id and nothing else.
/// </summary>
public sealed partial class ErrorHandling(ILogger<ErrorHandling> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken ct)
    {
        var error = exception switch
        {
            BadHttpRequestException { InnerException: JsonException json } => FromJson(json),
            BadHttpRequestException bad => new ApiError(
                bad.StatusCode == StatusCodes.Status415UnsupportedMediaType ? "unsupported_media_type" : "bad_request",
                bad.StatusCode,
                bad.Message),
            UnavailableException unavailable => new ApiError(unavailable.Code, StatusCodes.Status503ServiceUnavailable, unavailable.Message),
            OperationCanceledException when context.RequestAborted.IsCancellationRequested =>
                new ApiError("client_closed_request", 499, "The client closed the request."),
            _ => null,
        };
        if (error is null)
        {
            LogUnhandled(logger, exception, context.TraceIdentifier);
            error = new ApiError("internal_error", StatusCodes.Status500InternalServerError,
                $"Something went wrong on our side. Quote request id {context.TraceIdentifier} when reporting it.");
        }
        else if (exception is UnavailableException)
        {
            LogUnavailable(logger, exception, context.TraceIdentifier);
        }

        if (context.Response.HasStarted) return true;
        context.Response.StatusCode = error.Status;
        if (error.Status == StatusCodes.Status503ServiceUnavailable) context.Response.Headers.RetryAfter = "1";
        await ProblemResults.WriteAsync(context, error);
        return true;
    }

    static ApiError FromJson(JsonException json)
    {
        var field = json.Path is null or "$" ? "body" : json.Path.TrimStart('$', '.');
        var message = json.Message.Contains("could not be mapped", StringComparison.Ordinal)
            ? "is not a known field."
            : json.Path is null ? "is not valid JSON." : "has the wrong type or is out of range.";
        return new ApiError("invalid_json", StatusCodes.Status400BadRequest,
            $"The request body could not be read: '{field}' {message}",
            new Dictionary<string, string[]> { [field] = [message] });
    }

    [LoggerMessage(EventId = 1101, Level = LogLevel.Warning, Message = "Request {RequestId} answered 503: a dependency failed")]
    static partial void LogUnavailable(ILogger logger, Exception exception, string requestId);

    [LoggerMessage(EventId = 1100, Level = LogLevel.Error, Message = "Unhandled error in request {RequestId}")]
    static partial void LogUnhandled(ILogger logger, Exception exception, string requestId);
}
