namespace Tollgate.Operators;

/// <summary><c>Operators:*</c>: how operator users sign in to the dashboard.</summary>
public sealed class OperatorOptions
{
    /// <summary>Wrong passwords in a row before the account is locked.</summary>
    public int MaxFailedAttempts { get; set; } = 5;

    /// <summary>How long a locked account stays locked.</summary>
    public TimeSpan LockoutDuration { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>A session unused this long ends.</summary>
    public TimeSpan SessionIdleTimeout { get; set; } = TimeSpan.FromHours(8);

    /// <summary>A session ends this long after sign-in, used or not.</summary>
    public TimeSpan SessionLifetime { get; set; } = TimeSpan.FromDays(7);
}
