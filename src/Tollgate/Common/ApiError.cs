namespace Tollgate.Common;

/// <summary>
/// An expected failure: a stable machine-readable code, the HTTP status it maps to, a message for people,
/// and per-field messages for validation failures.
/// </summary>
public sealed record ApiError(string Code, int Status, string Message, IReadOnlyDictionary<string, string[]>? Errors = null)
{
    public static ApiError NotFound(string resource, string id) =>
        new("not_found", StatusCodes.Status404NotFound, $"No {resource} '{id}' is visible to this key.");

    public static ApiError Invalid(IReadOnlyDictionary<string, string[]> errors) =>
        new("validation_failed", StatusCodes.Status400BadRequest, "The request has invalid fields; see 'errors'.", errors);

    public static ApiError Invalid(string field, string message) =>
        Invalid(new Dictionary<string, string[]> { [field] = [message] });

    public static ApiError Conflict(string code, string message) => new(code, StatusCodes.Status409Conflict, message);

    public static ApiError Forbidden(string message) => new("forbidden", StatusCodes.Status403Forbidden, message);

    public static ApiError Unauthorized(string code, string message) => new(code, StatusCodes.Status401Unauthorized, message);
}
