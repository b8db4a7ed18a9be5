using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.WebUtilities;
using Tollgate.Common;
using Tollgate.Gateway.Protocols;

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
            // Arithmetic on money and usage is checked: what overflows is an amount too large to bill, not a fault of the server's.
            OverflowException overflow => new ApiError("amount_out_of_range", StatusCodes.Status422UnprocessableEntity, overflow.Message),
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
        else if (exception is OverflowException)
        {
            LogOverflow(logger, exception, context.TraceIdentifier);
        }

        if (context.Response.HasStarted) return true;
        context.Response.StatusCode = error.Status;
        if (error.Status == StatusCodes.Status503ServiceUnavailable) context.Response.Headers.RetryAfter = "1";
        await WriteAsync(context, error);
        return true;
    }

    /// <summary>An error in the route's own format: OpenAI's or Anthropic's on the gateway's <c>/v1</c> routes, problem+json elsewhere.</summary>
    public static Task WriteAsync(HttpContext context, ApiError error) =>
        GatewayError.ProtocolOf(context) is { } protocol
            ? new GatewayError(error.Status, error.Code, error.Message, error.Errors?.Keys.FirstOrDefault()).WriteAsync(context, protocol)
            : ProblemResults.WriteAsync(context, error);

    /// <summary>
    /// Answers that carry no body of their own (no route, a method the route does not take, a body it cannot read)
    /// get one in the route's format, with a stable code.
    /// </summary>
    public static Task WriteStatusAsync(StatusCodeContext status)
    {
        var http = status.HttpContext;
        var error = http.Response.StatusCode switch
        {
            404 => new ApiError("not_found", 404, $"No route {http.Request.Method} {http.Request.Path} exists; see /openapi/v1.json."),
            405 => new ApiError("method_not_allowed", 405, $"{http.Request.Path} does not take {http.Request.Method}."),
            415 => new ApiError("unsupported_media_type", 415, "Send the body as JSON, with 'Content-Type: application/json'."),
            var code => new ApiError(code >= 500 ? "internal_error" : "bad_request", code, ReasonPhrases.GetReasonPhrase(code)),
        };
        return WriteAsync(http, error);
    }

    static ApiError FromJson(JsonException json)
    {
        if (json is BodyRuleException rule)
        {
            var at = json.Path is null or "$" ? "" : json.Path.TrimStart('$', '.') + ".";
            var broken = at + rule.Field;
            return new ApiError("invalid_json", StatusCodes.Status400BadRequest, $"The request body could not be read: '{broken}' {rule.Problem}",
                new Dictionary<string, string[]> { [broken] = [rule.Problem] });
        }

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

    [LoggerMessage(EventId = 1102, Level = LogLevel.Warning, Message = "Request {RequestId} answered 422: an amount overflowed")]
    static partial void LogOverflow(ILogger logger, Exception exception, string requestId);

    [LoggerMessage(EventId = 1100, Level = LogLevel.Error, Message = "Unhandled error in request {RequestId}")]
    static partial void LogUnhandled(ILogger logger, Exception exception, string requestId);
}
