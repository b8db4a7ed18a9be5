namespace Tollgate.Metering;

/// <summary>
/// How a gateway request ended, as its usage record says. Kept with metering, which decides what counts: a request that
/// was refused or never reached a provider is never usage.
/// </summary>
public static class UsageStatus
{
    public const string Ok = "ok";
    public const string Error = "error";
    public const string UpstreamError = "upstream_error";
    public const string ClientDisconnected = "client_disconnected";
    public const string Incomplete = "incomplete";
    public const string Rejected = "rejected";

    /// <summary>The request ended before any provider was called (cancelled while waiting for room on a limit, say).</summary>
    public const string NotRun = "not_run";
}
