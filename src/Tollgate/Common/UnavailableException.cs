namespace Tollgate.Common;

/// <summary>
/// A dependency (the database, mostly) failed and nothing of the request took effect: answered as 503 with
/// <c>Retry-After</c> and a stable <see cref="Code"/>, so the client retries instead of treating it as its own mistake.
/// </summary>
public sealed class UnavailableException(string code, string message, Exception? inner = null) : Exception(message, inner)
{
    public string Code { get; } = code;
}
