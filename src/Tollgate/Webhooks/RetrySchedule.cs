namespace Tollgate.Webhooks;

/// <summary>
/// When a message that failed is tried again, as Svix does: at once, then after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h
/// and 10 h (eight attempts over about 27.5 hours), each delay stretched by up to a fifth at random so that the
/// retries of many messages failed together do not arrive together. After the last, the message is failed.
/// </summary>
public static class RetrySchedule
{
    public static IReadOnlyList<TimeSpan> Delays { get; } =
    [
        TimeSpan.Zero, TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(30),
        TimeSpan.FromHours(2), TimeSpan.FromHours(5), TimeSpan.FromHours(10), TimeSpan.FromHours(10),
    ];

    /// <summary>How many attempts a message gets.</summary>
    public static int Attempts => Delays.Count;

    /// <summary>
    /// When the attempt after <paramref name="attemptsMade"/> is due, or null when none is left. <paramref name="jitter"/>,
    /// from 0 to 1, stretches the delay by up to 20%.
    /// </summary>
    public static DateTimeOffset? Next(int attemptsMade, DateTimeOffset now, double jitter)
    {
        if (attemptsMade >= Attempts) return null;
        var delay = Delays[attemptsMade];
        return now + delay + TimeSpan.FromTicks((long)(delay.Ticks * 0.2 * Math.Clamp(jitter, 0, 1)));
    }
}
