namespace Tollgate.ApiKeys;

/// <summary>The <c>api_key.rotated</c> event: the successor, and the old key with the time it retires (never a secret).</summary>
public sealed record ApiKeyRotated(ApiKeyView Key, ApiKeyView Previous);
